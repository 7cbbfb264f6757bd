"""`eras patient update`: an admin corrects a follow-up; what cannot be taken is one line and
exit 2, and changes nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import CliRunner

from bot.cli import cli

TODAY = date.today()
TOMORROW = (TODAY + timedelta(days=1)).isoformat()


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    runner = CliRunner()
    for team, chat in (("Spine", "-100500"), ("Neuro", "-100600")):
        assert runner.invoke(cli, ["team", "add", team, "--chat-id", chat]).exit_code == 0
    enrolled = runner.invoke(
        cli,
        [
            *["enroll", "--protocol", "spine-miss-lumbar", "--surgery-date", TOMORROW],
            *["--team", "Spine", "--ref", "P-001"],
        ],
    )
    assert enrolled.exit_code == 0, enrolled.output
    return runner


def _shown(runner: CliRunner) -> dict[str, object]:
    shown = runner.invoke(cli, ["patient", "show", "P-001", "--json"])
    assert shown.exit_code == 0, shown.output
    episode: dict[str, object] = json.loads(shown.output)[-1]
    return episode


def test_an_admin_corrects_dates_procedure_team_zone_and_language(runner: CliRunner) -> None:
    surgery = (TODAY + timedelta(days=3)).isoformat()
    discharge = (TODAY + timedelta(days=5)).isoformat()
    result = runner.invoke(
        cli,
        [
            *["patient", "update", "P-001", "--surgery-date", surgery],
            *["--discharge-date", discharge, "--procedure", "L4-5 MIS-TLIF"],
            *["--team", "Neuro", "--tz", "America/Mexico_City", "--lang", "es", "--json"],
        ],
    )
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert done["changed"] == [
        "surgery_date",
        "discharge_date",
        "procedure",
        "time_zone",
        "language",
        "team",
    ]
    assert done["replanned"] > 0
    shown = _shown(runner)
    assert (shown["surgery_date"], shown["discharge_date"]) == (surgery, discharge)
    assert (shown["procedure"], shown["team"]) == ("L4-5 MIS-TLIF", "Neuro")
    assert (shown["language"], shown["timezone"]) == ("es", "America/Mexico_City")
    audited = runner.invoke(cli, ["audit", "list", "--patient", "P-001", "--json"])
    entry = next(e for e in json.loads(audited.output) if e["action"] == "patient.update")
    assert surgery not in json.dumps(entry) and "MIS-TLIF" not in json.dumps(entry)


def test_a_version_change_moves_the_patient_as_set_protocol_does(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["patient", "update", "P-001", "--protocol", "spine-miss-fusion"])
    assert result.exit_code == 0, result.output
    assert "protocol changed" in result.output
    assert str(_shown(runner)["protocol"]).startswith("spine-miss-fusion@")
    audited = runner.invoke(cli, ["audit", "list", "--patient", "P-001", "--json"])
    actions = [e["action"] for e in json.loads(audited.output)]
    assert {"patient.set_protocol", "patient.update"} <= set(actions)


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["P-404", "--procedure", "x"], "no patient with reference 'P-404'"),
        (["P-001", "--surgery-date", "2026-02-30"], "--surgery-date: '2026-02-30' is not a date"),
        (["P-001", "--discharge-date", "soon"], "--discharge-date: 'soon' is not a date"),
        (
            ["P-001", "--surgery-date", (TODAY + timedelta(days=61)).isoformat()],
            "61 days ahead, more than 60",
        ),
        (
            ["P-001", "--surgery-date", (TODAY - timedelta(days=91)).isoformat()],
            "91 days ago, more than 90",
        ),
        (
            ["P-001", "--discharge-date", TODAY.isoformat()],
            "the discharge date is before the surgery date",
        ),
        (["P-001", "--team", "Cardiology"], "no team named 'Cardiology'"),
        (["P-001", "--tz", "Madrid"], "did you mean Europe/Madrid?"),
        (["P-001", "--lang", "fr"], "not 'fr'"),
        (["P-001", "--protocol", "spine-miss-lumbr"], "did you mean 'spine-miss-lumbar'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_changes_nothing(
    runner: CliRunner, args: list[str], complaint: str
) -> None:
    before = _shown(runner)
    result = runner.invoke(cli, ["patient", "update", *args])
    assert result.exit_code == 2, result.output
    assert complaint in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _shown(runner) == before


def test_an_unlikely_surgery_date_is_taken_with_force(runner: CliRunner) -> None:
    far = (TODAY + timedelta(days=61)).isoformat()
    refused = runner.invoke(cli, ["patient", "update", "P-001", "--surgery-date", far])
    assert "if it is right, give --force" in refused.output
    taken = runner.invoke(cli, ["patient", "update", "P-001", "--surgery-date", far, "--force"])
    assert taken.exit_code == 0, taken.output
    assert _shown(runner)["surgery_date"] == far


def test_an_update_with_nothing_to_change_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["patient", "update", "P-001"])
    assert result.exit_code == 2
    assert "give at least one new value" in result.output


def test_enrolment_checks_the_surgery_date_too(runner: CliRunner) -> None:
    far = (TODAY + timedelta(days=61)).isoformat()
    enrol = ["enroll", "--protocol", "spine-miss-lumbar", "--team", "Spine", "--ref", "P-002"]
    refused = runner.invoke(cli, [*enrol, "--surgery-date", far])
    assert refused.exit_code == 1
    assert "61 days ahead" in refused.output and "give --force" in refused.output
    assert "P-002" not in runner.invoke(cli, ["patient", "list"]).output
    taken = runner.invoke(cli, [*enrol, "--surgery-date", far, "--force"])
    assert taken.exit_code == 0, taken.output
