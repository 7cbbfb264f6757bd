"""The chaos harness, reduced to fit CI: the real bot, as a process of its own on
PostgreSQL, killed with SIGKILL at random moments while the sandbox answers with faults,
loses no check-in, answer, alert or message, counts no answer twice, sends no duplicate
that an uncertain send does not explain, and waits out every retry_after.

It runs in real time on purpose (a process is killed, Telegram's limits are Telegram's),
so its length is the check-ins' schedule, shortened here: 30 patients whose check-ins
fall due over ten seconds, each open for 90 s. Every patient behaviour is still in
the cohort (silent, late, after the window, a red flag, a press twice) and every check
below still applies. ``make chaos`` (``--patients 500 --kills 50``) is the full run
(docs/RELIABILITY.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.harness import ChaosConfig, run_chaos
from tests.chaos.report import render
from tests.fixtures.databases import require_postgres

pytestmark = pytest.mark.slow(seconds=150)


async def test_nothing_is_lost_when_the_bot_is_killed_and_telegram_misbehaves(
    tmp_path: Path,
) -> None:
    config = ChaosConfig(
        postgres_url=require_postgres(),
        patients=30,
        kills=5,
        fault_rate=0.05,
        seed=2026,
        spread=10.0,
        window=90.0,
        quiet_timeout=300.0,
        log_dir=tmp_path,
    )

    result = await run_chaos(config, say=lambda _line: None)

    report = render(result)
    assert result.failures() == [], report
    # The run did what it is meant to prove things under, or it proves nothing.
    figures = result.figures
    assert result.bot.kills == config.kills, report
    assert sum(figures.telegram.faults_injected.values()) > 0, report
    assert figures.checkins.due == config.patients, report
    assert figures.checkins.sent > 0 and figures.checkins.completed > 0, report
    assert figures.answers.given > 0 and figures.answers.given_again > 0, report
    assert figures.alerts.expected > 0, report
    missed = figures.checkins.missed_unanswered + figures.checkins.missed_not_sent
    assert missed > 0, report  # the patients who never answer
