"""Admins enrol patients and move them between protocol versions from the command line."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from flows.protocols import __file__ as shipped_folder

SHIPPED = Path(shipped_folder).parent
TOMORROW = (date.today() + timedelta(days=1)).isoformat()


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
            "--json",
            *extra,
        ],
    )


def _show(runner: CliRunner, ref: str = "P-001") -> dict[str, object]:
    shown = runner.invoke(cli, ["patient", "show", ref, "--json"])
    assert shown.exit_code == 0, shown.output
    episodes: list[dict[str, object]] = json.loads(shown.output)
    return episodes[-1]


def test_enrolment_prints_a_one_time_deep_link(runner: CliRunner) -> None:
    result = _enrol(runner, "--tz", "America/New_York", "--lang", "es")
    assert result.exit_code == 0, result.output
    enrolled = json.loads(result.output)
    token = enrolled["token"]
    assert enrolled["link"] == f"https://t.me/eras_ward_bot?start={token}"
    assert len(token) >= 32  # 24 random bytes, URL-safe: 192 bits
    assert enrolled["protocol"] == "spine-miss-lumbar"
    assert enrolled["check_ins"] == 11  # POD 1-7, 10, 14, 21, 30 (no discharge date: no evening)
    shown = _show(runner)
    assert shown["status"] == "invited"
    assert shown["timezone"] == "America/New_York"
    assert shown["language"] == "es"
    assert shown["check_ins"] == {"completed": 0, "missed": 0, "scheduled": 11}


def test_the_link_token_is_stored_only_as_a_hash(runner: CliRunner, database_url: str) -> None:
    token = json.loads(_enrol(runner).output)["token"]
    import asyncio

    from sqlalchemy import select

    from db.engine import create_engine
    from db.models import LinkToken

    async def stored() -> list[str]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                return list(await connection.scalars(select(LinkToken.token_hash)))
        finally:
            await engine.dispose()

    assert asyncio.run(stored()) == [hashlib.sha256(token.encode()).hexdigest()]


def test_same_day_discharge_adds_the_evening_safety_check(runner: CliRunner) -> None:
    result = _enrol(runner, "--discharge-date", TOMORROW)
    assert json.loads(result.output)["check_ins"] == 12


def test_a_qr_code_of_the_link_is_written(runner: CliRunner, tmp_path: Path) -> None:
    qr = tmp_path / "discharge-sheet.png"
    result = _enrol(runner, "--qr", str(qr))
    assert result.exit_code == 0, result.output
    assert qr.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--protocol", "spine-miss-lumbr"], "did you mean 'spine-miss-lumbar'"),
        (["--team", "Cardiology"], "no team named 'Cardiology'"),
        (["--lang", "fr"], "not 'fr'"),
        (["--discharge-date", "2000-01-01"], "discharge date is before the surgery date"),
    ],
)
def test_a_wrong_enrolment_is_refused_with_the_reason(
    runner: CliRunner, args: list[str], complaint: str
) -> None:
    base = {
        "--protocol": "spine-miss-lumbar",
        "--surgery-date": TOMORROW,
        "--team": "Spine",
        "--ref": "P-9",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = runner.invoke(cli, ["enroll", *[x for kv in base.items() for x in kv]])
    assert result.exit_code == 1
    assert complaint in result.output
    assert runner.invoke(cli, ["patient", "list", "--json"]).output.strip() == "[]"


def test_a_second_open_follow_up_for_one_patient_is_refused(runner: CliRunner) -> None:
    assert _enrol(runner).exit_code == 0
    again = _enrol(runner)
    assert again.exit_code == 1
    assert "already has a follow-up in progress" in again.output


def test_moving_a_patient_to_another_pathway_replans_the_check_ins(runner: CliRunner) -> None:
    _enrol(runner)
    moved = runner.invoke(cli, ["patient", "set-protocol", "P-001", "spine-open-lumbar"])
    assert moved.exit_code == 0, moved.output
    assert "spine-miss-lumbar@2 → spine-open-lumbar@2" in moved.output
    shown = _show(runner)
    assert shown["protocol"] == "spine-open-lumbar@2"
    assert shown["check_ins"] == {"completed": 0, "missed": 0, "scheduled": 12}  # + POD 42
    same = runner.invoke(cli, ["patient", "set-protocol", "P-001", "spine-open-lumbar@2"])
    assert same.exit_code == 1
    assert "already on" in same.output


def test_a_changed_file_is_a_new_version_that_diff_explains(
    runner: CliRunner, tmp_path: Path
) -> None:
    original = (SHIPPED / "spine-miss-lumbar.yaml").read_text()
    changed = tmp_path / "spine-miss-lumbar.yaml"
    changed.write_text(original.replace("at_least: 38.5", "at_least: 38.6", 1))
    assert changed.read_text() != original
    _enrol(runner)  # stores the shipped version 2
    loaded = runner.invoke(cli, ["protocol", "load", str(changed)])
    assert loaded.exit_code == 0, loaded.output
    assert "still says version '2'" in loaded.output
    listed = json.loads(
        runner.invoke(cli, ["protocol", "versions", "spine-miss-lumbar", "--json"]).output
    )
    assert listed[0]["version"] == "2"
    new_label = listed[1]["version"]
    assert new_label.startswith("2+")
    diff = runner.invoke(
        cli, ["protocol", "diff", "spine-miss-lumbar@2", f"spine-miss-lumbar@{new_label}"]
    )
    assert diff.exit_code == 0, diff.output
    assert "38.5" in diff.output and "38.6" in diff.output
    again = runner.invoke(cli, ["protocol", "load", str(changed)])
    assert "already loaded" in again.output
    # The patient stays on the version they were enrolled with until moved.
    assert _show(runner)["protocol"] == "spine-miss-lumbar@2"
    moved = runner.invoke(
        cli, ["patient", "set-protocol", "P-001", f"spine-miss-lumbar@{new_label}"]
    )
    assert moved.exit_code == 0, moved.output
    assert _show(runner)["protocol"] == f"spine-miss-lumbar@{new_label}"


def test_an_invalid_file_is_not_loaded(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (SHIPPED / "spine-miss-lumbar.yaml").read_text().replace("tier: amber", "tier: orange", 1)
    )
    result = runner.invoke(cli, ["protocol", "load", str(broken)])
    assert result.exit_code == 1
    assert "broken.yaml:" in result.output and "not loaded" in result.output
    assert (
        "[]" in runner.invoke(cli, ["protocol", "versions", "spine-miss-lumbar", "--json"]).output
    )


def test_enrolling_parses_only_the_protocol_it_enrols_on(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken file of another pathway does not stop the ward enrolling on this one; it is
    named as soon as someone enrols on it."""
    folder = tmp_path / "protocols"
    folder.mkdir()
    (folder / "broken.yaml").write_text("id: hernia-local\nversion: [unclosed\n")
    monkeypatch.setenv("ERAS_PROTOCOLS_DIR", str(folder))
    assert _enrol(runner).exit_code == 0
    broken = _enrol(runner, "--protocol", "hernia-local", ref="P-002")
    assert broken.exit_code == 1
    assert "broken.yaml" in broken.output
