"""The team adds a caregiver from the command line (a one-time link, as a QR code too) and
removes them; an unknown patient is refused with a reason."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from bot.access import tokens
from bot.cli import cli
from db.engine import create_engine, session_factory
from db.models import AuditEntry, TokenPurpose

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    runner = CliRunner()
    assert runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"]).exit_code == 0
    enrolled = runner.invoke(
        cli,
        [
            "enroll",
            "--protocol",
            "spine-miss-lumbar",
            "--surgery-date",
            TOMORROW,
            "--team",
            "Spine",
            "--ref",
            "P-001",
        ],
    )
    assert enrolled.exit_code == 0, enrolled.output
    return runner


def _added(result: Result) -> dict[str, object]:
    assert result.exit_code == 0, result.output
    found: dict[str, object] = json.loads(result.output)
    return found


def _opens(database_url: str, token: str) -> bool:
    """Whether a caregiver opening the link now would be let in (the link is used up)."""

    async def redeem() -> bool:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine).begin() as session:
                now = datetime.now(UTC)
                used = await tokens.redeem(session, token, TokenPurpose.CAREGIVER, 42, now)
                return used is not None
        finally:
            await engine.dispose()

    return asyncio.run(redeem())


def _audit(database_url: str, action: str) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                query = select(AuditEntry).where(AuditEntry.action == action)
                return list(await session.scalars(query))
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_a_caregiver_link_with_its_qr_code_works_once(
    runner: CliRunner, database_url: str, tmp_path: Path
) -> None:
    qr = tmp_path / "caregiver.png"
    added = _added(
        runner.invoke(cli, ["patient", "caregiver", "add", "P-001", "--qr", str(qr), "--json"])
    )
    assert str(added["link"]).startswith("https://t.me/eras_ward_bot?start=")
    assert qr.read_bytes().startswith(PNG)
    token = str(added["token"])
    assert _opens(database_url, token)
    assert not _opens(database_url, token)  # used twice: refused
    [entry] = _audit(database_url, "caregiver.add")
    assert entry.patient_ref == "P-001" and entry.detail["caregiver"] == added["caregiver"]


def test_a_second_link_makes_the_unopened_one_stop_working(
    runner: CliRunner, database_url: str
) -> None:
    first = _added(runner.invoke(cli, ["patient", "caregiver", "add", "P-001", "--json"]))
    second = _added(runner.invoke(cli, ["patient", "caregiver", "add", "P-001", "--json"]))
    assert second["revoked"] == 1
    assert not _opens(database_url, str(first["token"]))
    assert _opens(database_url, str(second["token"]))


def test_removal_stops_a_link_not_yet_opened(runner: CliRunner, database_url: str) -> None:
    added = _added(runner.invoke(cli, ["patient", "caregiver", "add", "P-001", "--json"]))
    removed = runner.invoke(cli, ["patient", "caregiver", "remove", "P-001", "--json"])
    assert removed.exit_code == 0, removed.output
    assert json.loads(removed.output) == {"ref": "P-001", "removed": [added["caregiver"]]}
    assert not _opens(database_url, str(added["token"]))
    [entry] = _audit(database_url, "caregiver.remove")
    assert entry.detail == {"caregivers": [added["caregiver"]]}


def test_an_unknown_patient_or_caregiver_is_refused_with_a_reason(runner: CliRunner) -> None:
    unknown = runner.invoke(cli, ["patient", "caregiver", "add", "P-404"])
    assert unknown.exit_code == 1
    assert "no patient with reference 'P-404'" in unknown.output
    gone = runner.invoke(cli, ["patient", "caregiver", "remove", "P-404"])
    assert gone.exit_code == 1 and "no patient with reference 'P-404'" in gone.output
    nobody = runner.invoke(cli, ["patient", "caregiver", "remove", "P-001", "--id", "99"])
    assert nobody.exit_code == 1 and "has no caregiver #99" in nobody.output
    none_yet = runner.invoke(cli, ["patient", "caregiver", "remove", "P-001"])
    assert none_yet.exit_code == 0 and "no caregiver to remove" in none_yet.output
