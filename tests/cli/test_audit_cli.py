"""``eras audit``: read the log, and prove it is still as it was written."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from bot.cli import cli
from bot.reports.audit_log import checkpoint
from db.engine import create_engine, session_factory

KEY = b"audit-key-for-these-tests-0123456789"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_AUDIT_KEY", KEY.decode())
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


async def _as_the_owner(database_url: str, statement: str) -> None:
    """What only the database's owner can do: switch off the append-only triggers first."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                await connection.execute(text("DROP TRIGGER audit_log_no_update"))
                await connection.execute(text("DROP TRIGGER audit_log_no_delete"))
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _checkpoint(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        taken = await checkpoint(session_factory(engine), datetime.now(UTC), KEY)
        assert taken is not None
    finally:
        await engine.dispose()


async def test_verify_names_the_first_edited_row(runner: CliRunner, database_url: str) -> None:
    await _as_the_owner(
        database_url, "UPDATE audit_log SET actor_ref = 'cli:someone-else' WHERE id = 2"
    )
    result = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "audit log broken at row 2: content does not match its hash" in result.output


async def test_verify_reaches_the_newest_checkpoint(runner: CliRunner, database_url: str) -> None:
    await _checkpoint(database_url)
    result = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 rows, each chained to the one before, up to checkpoint 1 of 3 rows" in result.output


async def test_verify_finds_rows_cut_from_the_end(runner: CliRunner, database_url: str) -> None:
    await _checkpoint(database_url)
    await _as_the_owner(database_url, "DELETE FROM audit_log WHERE id = 3")
    result = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "the log ends after 2 rows, but held 3 at checkpoint 1" in result.output
    assert "rows were cut from its end" in result.output


async def test_verify_finds_a_wiped_log(runner: CliRunner, database_url: str) -> None:
    await _checkpoint(database_url)
    await _as_the_owner(database_url, "DELETE FROM audit_log")
    result = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "the log is empty, but held 3 rows at checkpoint 1" in result.output


async def test_verify_finds_a_cut_that_a_later_append_hides(
    runner: CliRunner, database_url: str
) -> None:
    """Rows cut, then a new row appended: the row at the checkpoint's count is not its row."""
    await _checkpoint(database_url)
    await _as_the_owner(database_url, "DELETE FROM audit_log WHERE id >= 2")
    for _ in range(2):
        shown = await asyncio.to_thread(runner.invoke, cli, ["patient", "show", "P-7"])
        assert shown.exit_code == 0
    result = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])
    assert result.exit_code == 1
    assert "is not the row checkpointed at checkpoint 1" in result.output


async def test_a_checkpoint_not_sealed_with_the_key_is_named(
    runner: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _checkpoint(database_url)
    monkeypatch.setenv("ERAS_AUDIT_KEY", "another-key-that-is-long-enough-0123456789")
    result = await asyncio.to_thread(runner.invoke, cli, ["audit", "verify"])
    if database_url.startswith("postgresql"):
        assert result.exit_code == 0, result.output  # the database's roles guard them there
        return
    assert result.exit_code == 1
    assert "checkpoint 1 is not sealed with ERAS_AUDIT_KEY" in result.output
