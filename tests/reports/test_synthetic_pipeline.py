"""A synthetic cohort lived through the real pipeline, then reported, on both backends.

Four patients (one a pathway, seed 11: the open decompression patient is lost after POD 3)
take about 45 s on a busy two-core machine; the statistics at 200 a pathway are tested on the
same answers worked out without the database (``test_synthetic_effects``).
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import cli
from bot.patients.enrolment.enrol import enrol
from bot.patients.synthetic.cohort import TEAM, CohortRefused, CohortSpec, generate
from bot.patients.synthetic.records import lived
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.reports.outcomes.reading import PATHWAY_KINDS, Scope, read_scope
from bot.reports.outcomes.report import build, milestone_section
from bot.reports.outcomes.survival import TimeToEvent, time_to
from db.models import AlertEvent, Answer, Episode, Patient, Team

SPEC = CohortSpec(
    n=4, seed=11, pathways=PATHWAY_KINDS, first_surgery=date(2026, 6, 1), spread_days=1
)
ZONE = "Europe/Madrid"
NOW = datetime(2026, 5, 30, 9, tzinfo=UTC)


async def _eras(*args: str) -> Result:
    """The command line, in a thread of its own: it runs its own event loop."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


def _catalogue() -> ProtocolCatalogue:
    return ProtocolCatalogue(load_protocols(None))


@pytest.mark.slow(seconds=90)
async def test_a_synthetic_cohort_is_lived_through_the_pipeline_and_reported_as_made(
    sessions: async_sessionmaker[AsyncSession],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalogue = _catalogue()
    made = await generate(sessions, catalogue, SPEC)
    async with sessions() as session:
        found = await read_scope(session, catalogue, Scope(team=TEAM), all_items=True)
    by_ref = {p.ref: p for p in made.patients}
    assert len(found.episodes) == 4

    async with sessions() as session:
        refs = dict(
            (await session.execute(select(Episode.id, Patient.ref).join(Patient))).tuples().all()
        )
    for episode in found.episodes:
        person = by_ref[refs[episode.episode_id]]
        assert person.pathway == episode.pathway
        expected = [
            (c.planned.pod, c.answered, c.answers)
            for c in lived(person, catalogue.files[person.pathway].protocol, ZONE)
        ]
        recorded = [(c.pod, c.answered, dict(c.answers)) for c in episode.check_ins]
        # The pipeline recorded exactly the answers the conversation gives these replies.
        assert recorded == expected
        walking = next(m for m in episode.milestones if m.id == "walking_outside_long")
        seen = [c.pod for c in episode.check_ins if "walking" in c.answers]
        reached = [pod for pod in seen if pod >= person.walk_day]
        censored_at = seen[-1] if seen else 0  # never asked: censored on the day of surgery
        truth = TimeToEvent(reached[0], True) if reached else TimeToEvent(censored_at, False)
        assert time_to(episode, walking) == truth

    lost = next(p for p in made.patients if p.lost_after is not None)
    assert by_ref[lost.ref].lost_after == 3
    section = milestone_section(found.episodes, "walking_outside_long", "walking")
    (open_curve,) = [c for c in section["curves"] if c["group"] == lost.pathway]
    assert (open_curve["n"], open_curve["events"]) == (1, 0)  # censored, not dropped
    assert any(a.cause == "non_response" for a in found.alerts)
    assert made.alerts_resolved == sum(1 for a in found.alerts if a.outcome is not None) > 0
    # The report reads only the answers it uses, and computes the same report from them.
    async with sessions() as session:
        read = await read_scope(session, catalogue, Scope(team=TEAM))
    items = {item for e in read.episodes for c in e.check_ins for item in c.answers}
    assert items == {"pain_back", "pain_leg", "walking", "opioid_use", "bowels_days"}
    fewer = {item for e in found.episodes for c in e.check_ins for item in c.answers} - items
    assert fewer, "every answer was one the report reads: nothing was left out"
    assert build(read.episodes, read.alerts, scope={}, generated_at=NOW) == build(
        found.episodes, found.alerts, scope={}, generated_at=NOW
    )

    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    result = await _eras("report", "outcomes", "--team", TEAM, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    async with sessions() as session:
        answers = await session.scalar(select(func.count()).select_from(Answer))
        events = await session.scalar(select(func.count()).select_from(AlertEvent))
    assert [r["record"] for r in rows].count("answer") == answers
    assert [r["record"] for r in rows].count("alert_event") == events
    assert "<5" not in result.output  # the hospital's own data: exact counts

    shown = await _eras("report", "outcomes", "--format", "json")
    assert shown.exit_code == 0, (shown.output, shown.exception)
    report = json.loads(shown.output)
    assert {row["patients"] for row in report["cohort"] if row["group"].startswith("pathway")} == {
        "<5"
    }
    page = (await _eras("report", "outcomes", "--format", "html")).output
    assert "data:image/png;base64," in page
    assert not re.search(r"(src|href)=\"(?!data:)|https?://|url\(", page)


async def test_it_refuses_a_database_that_holds_a_real_patient(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    catalogue = _catalogue()
    async with sessions.begin() as session:
        session.add(Team(name="Spine", chat_id=-1, timezone=ZONE, created_at=NOW))
        await session.flush()
        await enrol(
            session,
            catalogue,
            protocol_id="spine-miss-lumbar",
            team_name="Spine",
            ref="P-001",
            surgery_date=date(2026, 6, 1),
            now=NOW,
            actor="cli:test",
        )
    with pytest.raises(CohortRefused, match="1 patient"):
        await generate(sessions, catalogue, SPEC)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Patient)) == 1
