"""A patient who lost their link gets a new one; the old one stops working; a QR file
that can't be written never costs the patient their link."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.access import tokens
from bot.cli import cli
from db.engine import create_engine, session_factory
from db.models import TokenPurpose

TOMORROW = (date.today() + timedelta(days=1)).isoformat()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    runner = CliRunner()
    assert runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"]).exit_code == 0
    return runner


def _enrol(runner: CliRunner, *extra: str, ref: str = "P-001") -> Result:
    return runner.invoke(
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
            ref,
            *extra,
        ],
    )


def _token(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return str(json.loads(result.output)["token"])


def _skip_the_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the early check can't see: the disk changes between the check and the write."""
    # ``bot.cli.patient`` the attribute is the click group; the modules are in sys.modules.
    monkeypatch.setattr(
        sys.modules["bot.cli.patient.links"], "check_qr_path", lambda p, force: None
    )


def _opens(database_url: str, token: str) -> bool:
    """Whether a patient opening the link now would be let in (the link is used up)."""

    async def redeem() -> bool:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine).begin() as session:
                now = datetime.now(UTC)
                used = await tokens.redeem(session, token, TokenPurpose.PATIENT, 42, now)
                return used is not None
        finally:
            await engine.dispose()

    return asyncio.run(redeem())


def test_a_reissued_link_works_and_the_old_one_no_longer_does(
    runner: CliRunner, database_url: str
) -> None:
    old = _token(_enrol(runner, "--json"))
    new = _token(runner.invoke(cli, ["patient", "link", "P-001", "--json"]))
    assert new != old
    assert not _opens(database_url, old)
    assert _opens(database_url, new)
    audited = runner.invoke(cli, ["audit", "list", "--action", "patient.link", "--json"])
    assert audited.exit_code == 0, audited.output
    (entry,) = json.loads(audited.output)
    assert entry["patient_ref"] == "P-001"
    assert new not in audited.output  # the link itself is never logged


def test_the_reissued_link_is_printed_for_the_nurse(runner: CliRunner) -> None:
    _enrol(runner)
    result = runner.invoke(cli, ["patient", "link", "P-001"])
    assert result.exit_code == 0, result.output
    assert "earlier links no longer work" in result.output
    assert "https://t.me/eras_ward_bot?start=" in result.output


def test_a_link_for_an_unknown_reference_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["patient", "link", "P-404"])
    assert result.exit_code == 1
    assert "no patient with reference 'P-404'" in result.output


def test_no_link_once_the_follow_up_has_ended(runner: CliRunner) -> None:
    _enrol(runner)
    assert runner.invoke(cli, ["patient", "erase", "P-001", "--yes"]).exit_code == 0
    result = runner.invoke(cli, ["patient", "link", "P-001"])
    assert result.exit_code == 1
    assert "no follow-up in progress" in result.output


def test_a_reissued_link_comes_as_a_qr_code_too(runner: CliRunner, tmp_path: Path) -> None:
    _enrol(runner)
    qr = tmp_path / "new-link.png"
    result = runner.invoke(cli, ["patient", "link", "P-001", "--qr", str(qr)])
    assert result.exit_code == 0, result.output
    assert qr.read_bytes().startswith(PNG)


def test_an_existing_qr_file_is_overwritten_only_with_force(
    runner: CliRunner, tmp_path: Path, database_url: str
) -> None:
    old = _token(_enrol(runner, "--json"))
    qr = tmp_path / "sheet.png"
    qr.write_bytes(b"someone else's file")
    refused = runner.invoke(cli, ["patient", "link", "P-001", "--qr", str(qr)])
    assert refused.exit_code == 1
    assert "exists" in refused.output and "--force" in refused.output
    assert qr.read_bytes() == b"someone else's file"
    assert _opens(database_url, old)  # refused before anything changed: the link still works
    forced = runner.invoke(cli, ["patient", "link", "P-001", "--qr", str(qr), "--force"])
    assert forced.exit_code == 0, forced.output
    assert qr.read_bytes().startswith(PNG)


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_qr_path_that_is_a_symbolic_link_is_never_followed(
    runner: CliRunner, tmp_path: Path, force: list[str]
) -> None:
    _enrol(runner)
    target = tmp_path / "important.conf"
    target.write_text("keep me")
    planted = tmp_path / "qr.png"
    planted.symlink_to(target)
    result = runner.invoke(cli, ["patient", "link", "P-001", "--qr", str(planted), *force])
    assert result.exit_code == 1
    assert "symbolic link" in result.output
    assert target.read_text() == "keep me"


def test_enrolment_into_a_missing_folder_is_refused_before_anyone_is_enrolled(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = _enrol(runner, "--qr", str(tmp_path / "no-such-folder" / "qr.png"))
    assert result.exit_code == 1
    assert "there is no folder" in result.output
    assert runner.invoke(cli, ["patient", "show", "P-001"]).exit_code == 1  # not enrolled


def test_a_qr_file_that_fails_to_write_leaves_the_patient_a_working_link(
    runner: CliRunner, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_the_check(monkeypatch)
    result = _enrol(runner, "--qr", str(tmp_path / "gone" / "qr.png"))
    assert result.exit_code == 1
    assert "could not write the QR code" in result.output
    assert "the link above works" in result.output
    printed = result.output.split("?start=")[1].split()[0]
    assert _opens(database_url, printed)


def test_a_planted_symbolic_link_is_not_followed_even_after_the_check(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _skip_the_check(monkeypatch)
    _enrol(runner)
    target = tmp_path / "important.conf"
    target.write_text("keep me")
    planted = tmp_path / "qr.png"
    planted.symlink_to(target)
    result = runner.invoke(cli, ["patient", "link", "P-001", "--qr", str(planted), "--force"])
    assert result.exit_code == 1
    assert "could not write the QR code" in result.output
    assert target.read_text() == "keep me"
