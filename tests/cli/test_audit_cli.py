"""``eras audit``: read the log, and prove it is still as it was written."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from bot.cli import cli
from db.engine import create_engine


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    runner = CliRunner()
    for args in (
        ["team", "add", "Spine", "--chat-id", "-100500"],
        [
            "enroll",
            "--ref",
            "P-7",
            "--protocol",
            "spine-miss-lumbar",
            "--team",
            "Spine",
            "--surgery-date",
            "2026-11-20",
            "--tz",
            "Europe/Madrid",
        ],
        ["patient", "show", "P-7"],
    ):
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
    return runner


def test_the_log_lists_who_did_what_newest_first(runner: CliRunner) -> None:
    entries = json.loads(runner.invoke(cli, ["audit", "list", "--json"]).output)
    assert [e["action"] for e in entries][:3] == ["patient.view", "patient.enrol", "team.add"]
    about = json.loads(runner.invoke(cli, ["audit", "list", "--patient", "P-7", "--json"]).output)
    assert {e["patient_ref"] for e in about} == {"P-7"}
    # reading a patient's entries is itself recorded
    again = json.loads(runner.invoke(cli, ["audit", "list", "--patient", "P-7", "--json"]).output)
    assert again[0]["action"] == "audit.list"
    assert "audit.list" in runner.invoke(cli, ["audit", "list"]).output


def test_verify_passes_on_an_untouched_log(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit log intact: 3 rows" in result.output


async def test_verify_names_the_first_edited_row(runner: CliRunner, database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                await connection.execute(text("DROP TRIGGER audit_log_no_update"))
            await connection.execute(
                text("UPDATE audit_log SET actor_ref = 'cli:someone-else' WHERE id = 2")
            )
    finally:
        await engine.dispose()
    import asyncio

    result = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "audit log broken at row 2: content does not match its hash" in result.output
