"""A safety fix reaches every patient on a pathway: `eras patient set-protocol --pathway`
shows what changes and for whom, asks, and moves each patient with their own audit row;
`eras patient list --pathway` shows who had which operation, to move some one by one."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import cli
from flows.protocols import __file__ as shipped_folder

SHIPPED = Path(shipped_folder).parent
# The version a patient enrolled today is on: the shipped file's.
NOW = yaml.safe_load((SHIPPED / "spine-miss-lumbar.yaml").read_text())["version"]
TOMORROW = (date.today() + timedelta(days=1)).isoformat()
MOVE = ["patient", "set-protocol", "--pathway", "spine-miss-lumbar"]


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    runner = CliRunner()
    assert runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"]).exit_code == 0
    return runner


def _enrol(
    runner: CliRunner, ref: str, protocol: str = "spine-miss-lumbar", procedure: str = ""
) -> None:
    extra = ["--procedure", procedure] if procedure else []
    enrolled = runner.invoke(
        cli,
        [
            "enroll",
            "--protocol",
            protocol,
            "--surgery-date",
            TOMORROW,
            "--team",
            "Spine",
            "--ref",
            ref,
            "--tz",
            "Europe/Madrid",
            *extra,
        ],
    )
    assert enrolled.exit_code == 0, enrolled.output


def _protocol_of(runner: CliRunner, ref: str) -> str:
    shown = runner.invoke(cli, ["patient", "show", ref, "--json"])
    return str(json.loads(shown.output)[-1]["protocol"])


def _fixed_version(runner: CliRunner, tmp_path: Path) -> str:
    """A new version of spine-miss-lumbar, loaded: check-ins at 10:00, fever from 38.4."""
    text = (SHIPPED / "spine-miss-lumbar.yaml").read_text()
    fixed = tmp_path / "spine-miss-lumbar.yaml"
    fixed.write_text(
        text.replace('  time: "09:00"', '  time: "10:00"', 1).replace(
            "at_least: 38.5", "at_least: 38.4", 1
        )
    )
    loaded = runner.invoke(cli, ["protocol", "load", str(fixed)])
    assert loaded.exit_code == 0, loaded.output
    versions = runner.invoke(cli, ["protocol", "versions", "spine-miss-lumbar", "--json"])
    return str(json.loads(versions.output)[-1]["version"])


def test_the_plan_is_shown_and_nobody_moves_until_it_is_confirmed(
    runner: CliRunner, tmp_path: Path
) -> None:
    _enrol(runner, "P-001")
    _enrol(runner, "P-002")
    _enrol(runner, "P-003", "spine-open-lumbar")
    fixed = _fixed_version(runner, tmp_path)

    declined = runner.invoke(cli, [*MOVE, "--to", fixed], input="n\n")
    assert declined.exit_code == 1  # aborted
    shown = declined.output
    assert f"What changes from spine-miss-lumbar@{NOW} to spine-miss-lumbar@{fixed}:" in shown
    assert "38.5" in shown and "38.4" in shown  # the rule's change, as `protocol diff` says
    assert "2 patients move" in shown and "next check-in changes for 2" in shown
    assert f"POD 1 {TOMORROW[:8]}" in shown and "09:00 → POD 1" in shown and "10:00" in shown
    assert "P-001" in shown and "P-002" in shown and "P-003" not in shown
    assert _protocol_of(runner, "P-001") == f"spine-miss-lumbar@{NOW}"

    confirmed = runner.invoke(cli, [*MOVE, "--to", fixed], input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    assert f"2 patients moved to spine-miss-lumbar@{fixed}" in confirmed.output
    assert _protocol_of(runner, "P-001") == _protocol_of(runner, "P-002")
    assert _protocol_of(runner, "P-002") == f"spine-miss-lumbar@{fixed}"
    assert _protocol_of(runner, "P-003") == f"spine-open-lumbar@{NOW}"

    audit = runner.invoke(cli, ["audit", "list", "--action", "patient.set_protocol", "--json"])
    entries = json.loads(audit.output)
    assert sorted(e["patient_ref"] for e in entries) == ["P-001", "P-002"]
    assert all(e["detail"]["whole_pathway"] == "spine-miss-lumbar" for e in entries)

    again = runner.invoke(cli, [*MOVE, "--to", fixed, "--yes"])
    assert again.exit_code == 0
    assert "nobody followed on spine-miss-lumbar" in again.output


def test_yes_moves_at_once_to_the_newest_version_and_json_says_who(
    runner: CliRunner, tmp_path: Path
) -> None:
    _enrol(runner, "P-001")
    fixed = _fixed_version(runner, tmp_path)
    moved = runner.invoke(cli, [*MOVE, "--to", f"spine-miss-lumbar@{fixed}", "--yes", "--json"])
    assert moved.exit_code == 0, moved.output
    done = json.loads(moved.output)
    assert done["to"] == f"spine-miss-lumbar@{fixed}"
    assert [m["ref"] for m in done["moved"]] == ["P-001"]
    assert done["changes"][f"spine-miss-lumbar@{NOW}"]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ([*MOVE, "--to", f"spine-open-lumbar@{NOW}", "--yes"], "one by one"),
        ([*MOVE, "--to", "99", "--yes"], "has no version '99'"),
        ([*MOVE, "--json"], "--json needs --yes"),
        (["patient", "set-protocol", "P-001"], "give REF ID[@VERSION]"),
        (["patient", "set-protocol", "P-001", "--pathway", "spine-miss-lumbar"], "give no REF"),
    ],
)
def test_a_move_that_cannot_be_meant_is_refused(
    runner: CliRunner, args: list[str], complaint: str
) -> None:
    _enrol(runner, "P-001")
    refused = runner.invoke(cli, args)
    assert refused.exit_code != 0
    assert complaint in refused.output
    assert _protocol_of(runner, "P-001") == f"spine-miss-lumbar@{NOW}"


def test_the_list_of_a_pathway_shows_each_patients_procedure_as_given(runner: CliRunner) -> None:
    _enrol(runner, "P-001")  # no procedure given: none is guessed
    _enrol(runner, "P-002", procedure="MIS-TLIF")
    _enrol(runner, "P-003", "spine-open-lumbar", procedure="Open lumbar fusion")
    listed = runner.invoke(cli, ["patient", "list", "--pathway", "spine-miss-lumbar"])
    assert listed.exit_code == 0, listed.output
    first, second = listed.output.splitlines()
    assert first.startswith("P-001") and "procedure not recorded" in first
    assert second.startswith("P-002") and "MIS-TLIF" in second
    as_json = runner.invoke(cli, ["patient", "list", "--pathway", "spine-open-lumbar", "--json"])
    [open_fusion] = json.loads(as_json.output)
    assert (open_fusion["ref"], open_fusion["procedure"]) == ("P-003", "Open lumbar fusion")


def test_patients_on_the_first_version_move_to_the_shipped_one_with_its_safety_fixes(
    runner: CliRunner,
) -> None:
    first = Path(__file__).parents[1] / "flows" / "fixtures" / "v1" / "spine-miss-lumbar.yaml"
    loaded = runner.invoke(cli, ["protocol", "load", str(first)])
    assert loaded.exit_code == 0, loaded.output
    _enrol(runner, "P-001", "spine-miss-lumbar@1")
    _enrol(runner, "P-002", "spine-miss-lumbar@1")
    assert _protocol_of(runner, "P-001") == "spine-miss-lumbar@1"

    moved = runner.invoke(cli, [*MOVE, "--yes"])  # no --to: the newest version
    assert moved.exit_code == 0, moved.output
    assert f"What changes from spine-miss-lumbar@1 to spine-miss-lumbar@{NOW}:" in moved.output
    assert "near_faint" in moved.output and "bowel_control" in moved.output  # v2's new items
    assert f"2 patients moved to spine-miss-lumbar@{NOW}" in moved.output
    assert {_protocol_of(runner, ref) for ref in ("P-001", "P-002")} == {f"spine-miss-lumbar@{NOW}"}
