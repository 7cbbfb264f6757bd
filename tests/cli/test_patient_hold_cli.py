"""`eras patient pause / resume / withdraw`: what the ward sees and what it is refused."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import cli

TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    monkeypatch.setenv("ERAS_EMERGENCY_NUMBER", "112")
    runner = CliRunner()
    assert runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"]).exit_code == 0
    enrolled = runner.invoke(
        cli,
        [
            *["enroll", "--protocol", "spine-miss-lumbar", "--surgery-date", TOMORROW],
            *["--team", "Spine", "--ref", "P-001"],
        ],
    )
    assert enrolled.exit_code == 0, enrolled.output
    return runner


def _status(runner: CliRunner) -> str:
    shown = runner.invoke(cli, ["patient", "show", "P-001", "--json"])
    return str(json.loads(shown.output)[-1]["status"])


def test_pause_shows_on_hold_and_resume_goes_back(runner: CliRunner) -> None:
    paused = runner.invoke(cli, ["patient", "pause", "P-001"])
    assert paused.exit_code == 0, paused.output
    assert "not linked yet: nobody to tell" in paused.output
    assert _status(runner) == "on_hold"
    assert "on_hold" in runner.invoke(cli, ["patient", "list"]).output
    again = runner.invoke(cli, ["patient", "pause", "P-001"])
    assert again.exit_code == 1 and "on hold already" in again.output
    resumed = runner.invoke(cli, ["patient", "resume", "P-001"])
    assert resumed.exit_code == 0, resumed.output
    assert _status(runner) == "invited"  # had not opened the link yet: back to that
    audited = runner.invoke(cli, ["audit", "list", "--patient", "P-001", "--json"])
    actions = [entry["action"] for entry in json.loads(audited.output)]
    assert {"patient.pause", "patient.resume"} <= set(actions)


def test_withdraw_asks_first_and_ends_the_follow_up(runner: CliRunner) -> None:
    declined = runner.invoke(cli, ["patient", "withdraw", "P-001"], input="n\n")
    assert declined.exit_code == 1
    assert _status(runner) == "invited"
    done = runner.invoke(cli, ["patient", "withdraw", "P-001", "--yes"])
    assert done.exit_code == 0, done.output
    assert "11 check-ins cancelled" in done.output
    assert _status(runner) == "withdrawn"
    relinked = runner.invoke(cli, ["patient", "link", "P-001"])
    assert relinked.exit_code == 1 and "no follow-up in progress" in relinked.output


@pytest.mark.parametrize("command", ["pause", "resume", "withdraw"])
def test_an_unknown_reference_is_refused(runner: CliRunner, command: str) -> None:
    result = runner.invoke(
        cli, ["patient", command, "P-404", *(["--yes"] * (command == "withdraw"))]
    )
    assert result.exit_code == 1
    assert "no patient with reference 'P-404'" in result.output


def test_without_an_emergency_number_nobody_is_told_a_wrong_one(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERAS_EMERGENCY_NUMBER")
    result = runner.invoke(cli, ["patient", "pause", "P-001"])
    assert result.exit_code == 2
    assert "ERAS_EMERGENCY_NUMBER" in result.output
    assert _status(runner) == "invited"
