"""``eras patient erase`` and ``eras patient purge``: asked for, confirmed, audited."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from bot.cli import cli
from db.engine import create_engine
from db.models import Episode, EpisodeStatus


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    monkeypatch.delenv("ERAS_RETENTION_DAYS", raising=False)
    runner = CliRunner()
    for args in (
        ["team", "add", "Spine", "--chat-id", "-100500"],
        [
            "enroll",
            "--ref",
            "P-7",
            "--name",
            "Ana Ruiz",
            "--protocol",
            "spine-miss-lumbar",
            "--team",
            "Spine",
            "--surgery-date",
            "2026-11-20",
            "--tz",
            "Europe/Madrid",
        ],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    return runner


def _show(runner: CliRunner) -> dict[str, object]:
    shown: list[dict[str, object]] = json.loads(
        runner.invoke(cli, ["patient", "show", "P-7", "--json"]).output
    )
    return shown[-1]


def _erasures(runner: CliRunner) -> list[dict[str, object]]:
    listed = runner.invoke(cli, ["audit", "list", "--action", "patient.erase", "--json"])
    entries: list[dict[str, object]] = json.loads(listed.output)
    return entries


def test_erase_asks_first_and_changes_nothing_when_told_no(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["patient", "erase", "P-7"], input="n\n")
    assert result.exit_code == 1
    assert "Erase everything that identifies P-7?" in result.output
    assert _show(runner)["name"] == "Ana Ruiz"
    assert _erasures(runner) == []


def test_erase_removes_the_name_stops_the_follow_up_and_is_audited(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["patient", "erase", "P-7"], input="y\n")
    assert result.exit_code == 0, result.output
    assert "P-7 erased (clinical record kept)" in result.output
    shown = _show(runner)
    assert (shown["name"], shown["status"]) == (None, "withdrawn")
    assert shown["erased_at"] is not None
    [entry] = _erasures(runner)
    assert entry["patient_ref"] == "P-7"
    assert "Ana Ruiz" not in json.dumps(entry)
    again = runner.invoke(cli, ["patient", "erase", "P-7", "--yes"])
    assert "P-7 was erased already" in again.output
    assert len(_erasures(runner)) == 1


def test_erasing_an_unknown_patient_fails(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["patient", "erase", "P-404", "--yes"])
    assert result.exit_code == 1
    assert "no patient with reference 'P-404'" in result.output


def test_purge_needs_a_retention_period(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["patient", "purge"])
    assert result.exit_code == 1
    assert "--older-than" in result.output and "ERAS_RETENTION_DAYS" in result.output


def _ended_long_ago(database_url: str) -> None:
    async def backdate() -> None:
        engine = create_engine(database_url)
        try:
            async with engine.begin() as connection:
                ended = datetime.now(UTC) - timedelta(days=400)
                await connection.execute(
                    update(Episode).values(status=EpisodeStatus.WITHDRAWN, updated_at=ended)
                )
        finally:
            await engine.dispose()

    asyncio.run(backdate())


def test_purge_erases_follow_ups_that_ended_before_the_retention_period(
    runner: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ended_long_ago(database_url)
    monkeypatch.setenv("ERAS_RETENTION_DAYS", "365")
    dry = runner.invoke(cli, ["patient", "purge", "--dry-run", "--json"])
    assert json.loads(dry.output)["erased"] == ["P-7"]
    assert _show(runner)["name"] == "Ana Ruiz"
    kept = runner.invoke(cli, ["patient", "purge", "--older-than", "500"])
    assert kept.output.startswith("0 patients erased")
    done = runner.invoke(cli, ["patient", "purge"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[1:] == ["  P-7"]
    assert _show(runner)["name"] is None
    assert _erasures(runner)[0]["detail"] == {"reason": "retention", "clinical": "kept"}
