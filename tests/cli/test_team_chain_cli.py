"""Admins read and change a team's escalation chains per tier from the command line."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from db.engine import create_engine
from db.models import AuditEntry


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    runner = CliRunner()
    added = runner.invoke(
        cli, ["team", "add", "Spine", "--chat-id", "-1001", "--tz", "Europe/Madrid"]
    )
    assert added.exit_code == 0, added.output
    return runner


def _chains(runner: CliRunner) -> dict[str, Any]:
    shown = runner.invoke(cli, ["team", "chain", "Spine", "--json"])
    assert shown.exit_code == 0, shown.output
    return {row["tier"]: row for row in json.loads(shown.output)["chains"]}


def _audit(database_url: str) -> list[tuple[str, dict[str, Any]]]:
    async def rows() -> list[tuple[str, dict[str, Any]]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                found = await connection.execute(
                    select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)
                )
                return [(action, detail) for action, detail in found]
        finally:
            await engine.dispose()

    return asyncio.run(rows())


def test_a_new_team_runs_the_default_chains_marked_as_defaults(runner: CliRunner) -> None:
    shown = runner.invoke(cli, ["team", "chain", "Spine"])
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[0] == "Spine (Europe/Madrid; daytime is 08:00–22:00 there)"
    assert lines[1].split() == [
        "red_emergency", "(default)", "0:team_chat", "0:on_call", "5m:surgeon:every=5m"
    ]  # fmt: skip
    assert lines[3].split() == ["amber", "(default)", "0:team_chat", "4h:on_call:daytime"]
    amber = _chains(runner)["amber"]
    assert amber["default"] is True
    assert amber["steps"][1] == {
        "after_seconds": 14400,
        "notify": "on_call",
        "repeat_every_seconds": None,
        "daytime": True,
    }


def test_a_tier_gets_its_own_chain_and_back_the_default_audited(
    runner: CliRunner, database_url: str
) -> None:
    steps = ["--step", "0:team_chat", "--step", "10m:on_call", "--step", "20m:surgeon:every=5m"]
    changed = runner.invoke(cli, ["team", "chain", "Spine", "--tier", "red_urgent", *steps])
    assert changed.exit_code == 0, changed.output
    assert changed.output.splitlines()[1].split() == [
        "red_urgent", "0:team_chat", "10m:on_call", "20m:surgeon:every=5m"
    ]  # fmt: skip
    chains = _chains(runner)
    assert chains["red_urgent"]["default"] is False
    assert chains["amber"]["default"] is True  # other tiers untouched
    reset = runner.invoke(cli, ["team", "chain", "Spine", "--tier", "red_urgent", "--reset"])
    assert reset.exit_code == 0, reset.output
    assert "(default)" in reset.output
    assert _chains(runner)["red_urgent"]["default"] is True
    assert _audit(database_url)[1:] == [
        (
            "team.chain",
            {
                "team": "Spine",
                "tiers": ["red_urgent"],
                "steps": ["0:team_chat", "10m:on_call", "20m:surgeon:every=5m"],
            },
        ),
        ("team.chain_reset", {"team": "Spine", "tiers": ["red_urgent"]}),
    ]


def test_reset_without_a_tier_resets_them_all(runner: CliRunner) -> None:
    for tier in ("amber", "red_urgent"):
        args = [
            "team",
            "chain",
            "Spine",
            "--tier",
            tier,
            "--step",
            "0:team_chat",
            "--step",
            "1h:surgeon",
        ]
        assert runner.invoke(cli, args).exit_code == 0
    assert runner.invoke(cli, ["team", "chain", "Spine", "--reset"]).exit_code == 0
    assert all(row["default"] for row in _chains(runner).values())


@pytest.mark.parametrize(
    ("steps", "complaint"),
    [
        (["0:team_chat", "4h:pager"], "unknown notify target 'pager'"),
        (["0:team_chat", "four hours:on_call"], "not a duration"),
        (["0:team_chat", "4h:on_call", "30m:surgeon"], "steps out of order"),
        (["5m:surgeon:every=5m", "1h:on_call"], "repeats until acknowledged"),
        (["4h:on_call:sometimes"], "unknown option 'sometimes'"),
    ],
)
def test_a_chain_that_cannot_run_is_refused_and_changes_nothing(
    runner: CliRunner, database_url: str, steps: list[str], complaint: str
) -> None:
    args = [arg for step in steps for arg in ("--step", step)]
    result = runner.invoke(cli, ["team", "chain", "Spine", "--tier", "amber", *args])
    assert result.exit_code == 2
    assert complaint in result.output
    assert _chains(runner)["amber"]["default"] is True
    assert [action for action, _ in _audit(database_url)] == ["team.add"]


def test_a_teams_own_chain_may_count_daytime_hours(runner: CliRunner) -> None:
    args = ["--tier", "amber", "--step", "0:team_chat", "--step", "6h:on_call:daytime"]
    result = runner.invoke(cli, ["team", "chain", "Spine", *args])
    assert result.exit_code == 0, result.output
    amber = _chains(runner)["amber"]
    assert amber["default"] is False
    assert [step["daytime"] for step in amber["steps"]] == [False, True]


@pytest.mark.parametrize(
    ("args", "complaint", "code"),
    [
        (["Cardio"], "no team named 'Cardio'", 1),
        (["Spine", "--step", "0:team_chat"], "--step needs --tier", 2),
        (["Spine", "--tier", "amber", "--step", "0:team_chat", "--reset"], "not both", 2),
        (["Spine", "--tier", "green"], "'green' is not one of", 2),
    ],
)
def test_a_chain_command_that_makes_no_sense_says_why(
    runner: CliRunner, args: list[str], complaint: str, code: int
) -> None:
    result = runner.invoke(cli, ["team", "chain", *args])
    assert result.exit_code == code
    assert complaint in result.output
