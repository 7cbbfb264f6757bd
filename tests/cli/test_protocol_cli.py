"""``eras protocol``: validate, list, show, score, export, diff, schema, as an admin uses them."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import flows.protocols
from bot.cli import cli

SHIPPED = Path(flows.protocols.__file__).parent
MISS = SHIPPED / "spine-miss-lumbar.yaml"
HERNIA = Path(__file__).parents[1] / "flows" / "fixtures" / "hernia-test-fixture.yaml"


@pytest.fixture(autouse=True)
def no_local_protocols(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ERAS_PROTOCOLS_DIR", raising=False)


@pytest.fixture
def hospital_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """ERAS_PROTOCOLS_DIR with the (made-up) hernia fixture in it."""
    folder = tmp_path / "protocols"
    folder.mkdir()
    shutil.copy(HERNIA, folder / "hernia.yml")
    monkeypatch.setenv("ERAS_PROTOCOLS_DIR", str(folder))
    return folder


def eras(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, ["protocol", *args], input=stdin)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# validate


def test_valid_files_pass(tmp_path: Path) -> None:
    result = eras("validate", str(MISS), str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert f"{MISS}: ok (spine-miss-lumbar version 2)" in result.stdout
    assert result.stdout.count(": ok (") == 5
    assert "warning" not in result.stderr  # every shipped milestone says where it comes from


def test_each_problem_goes_to_stderr_as_file_line_message(tmp_path: Path) -> None:
    text = MISS.read_text("utf-8").replace("at_least: 38.5}", "at_least: 385}")
    broken = write(tmp_path, "broken.yaml", text)
    line = text[: text.index("at_least: 385}")].count("\n") + 1
    result = eras("validate", str(broken), str(HERNIA))
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        f"{broken}:{line}: rule 'fever_high': threshold 385 is outside the accepted range of "
        "item 'temperature' (30–43)"
    )
    assert f"{HERNIA}: ok" in result.stdout


def test_a_folder_without_protocols(tmp_path: Path) -> None:
    result = eras("validate", str(tmp_path))
    assert result.exit_code == 1
    assert "no protocol files (*.yaml) found" in result.stderr


# list


def test_list_shows_the_shipped_protocols() -> None:
    result = eras("list")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("spine-miss-lumbar  v2")
    assert "spine-miss-fusion" in result.stdout and "spine-open-fusion" in result.stdout
    assert "spine-open-lumbar" in result.stdout


def test_list_json_includes_the_hospitals_folder(hospital_folder: Path) -> None:
    result = eras("list", "--json")
    assert result.exit_code == 0, result.output
    listed = {entry["id"]: entry for entry in json.loads(result.stdout)}
    assert set(listed) == {
        "spine-miss-lumbar",
        "spine-open-lumbar",
        "spine-miss-fusion",
        "spine-open-fusion",
        "test-inguinal-hernia",
    }
    hernia = listed["test-inguinal-hernia"]
    assert hernia["shipped"] is False
    assert hernia["sha256"] == hashlib.sha256(HERNIA.read_bytes()).hexdigest()
    assert listed["spine-miss-lumbar"]["sha256"] == hashlib.sha256(MISS.read_bytes()).hexdigest()
    assert listed["spine-miss-lumbar"]["languages"] == ["en", "es"]
    assert f"[{hospital_folder / 'hernia.yml'}]" in eras("list").stdout


def test_two_protocols_with_one_id_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = write(tmp_path, "copy.yaml", MISS.read_text("utf-8"))
    monkeypatch.setenv("ERAS_PROTOCOLS_DIR", str(tmp_path))
    result = eras("list")
    assert result.exit_code == 1
    line = MISS.read_text("utf-8").splitlines().index("id: spine-miss-lumbar") + 1
    assert (
        f"{copy}:{line}: protocol id 'spine-miss-lumbar' is already used by "
        "spine-miss-lumbar.yaml; give this protocol its own id"
    ) in result.stderr


def test_a_broken_file_in_the_folder_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "bad.yaml", "id: [\n")
    (tmp_path / "latin1.yaml").write_bytes(b"id: x\ntitle: caf\xe9\n")
    monkeypatch.setenv("ERAS_PROTOCOLS_DIR", str(tmp_path))
    result = eras("show", "spine-miss-lumbar")
    assert result.exit_code == 1
    assert f"{tmp_path / 'bad.yaml'}:2: YAML syntax error" in result.stderr
    assert f"{tmp_path / 'latin1.yaml'}:2: not UTF-8 text" in result.stderr


# show


def test_show_renders_schedule_grid_questions_rules_and_milestones() -> None:
    result = eras("show", "spine-miss-lumbar")
    assert result.exit_code == 0
    out = result.stdout
    for heading in ("SCHEDULE", "QUESTIONS BY DAY", "QUESTIONS (26)", "RULES (42)", "MILESTONES"):
        assert f"\n{heading}" in out
    assert "  Check-ins at 09:00 (patient's local time) on POD 1–7, 10, 14, 21, 30\n" in out
    assert "fever_late                     temperature ≥ 38.0 and POD ≥ 4\n" in out
    assert "acknowledge within 4 h (daytime), contact within 24 h" in out


def test_show_a_day_lists_its_questions_in_order() -> None:
    result = eras("show", "spine-open-lumbar", "--pod", "3", "--lang", "es")
    assert result.exit_code == 0
    out = result.stdout
    assert (
        "POD 3 CHECK-IN at 09:00 (es)\n  1. [red_flags] ¿Tiene ahora alguno de estos problemas?"
        in out
    )
    assert "  15. bowels_days (integer)" in out
    assert "Check-ins start the day after discharge (days in hospital are not asked)" in out
    assert "El objetivo de su plan de recuperación para hoy: caminar por la casa.  [local]" in out
    assert "  ✓ walking_indoors" in out and "    walking_outside_short" in out
    assert "{since}" not in out  # leg weakness reads as the patient reads it
    assert "más dormida que en su último control (…)" in out
    assert "[at the first check-in: cuando salió del hospital]" in out


def test_show_the_evening_check_and_a_day_without_check_in() -> None:
    assert (
        "DISCHARGE-DAY EVENING CHECK at 18:00, if the patient goes home on POD 3 (en)"
        in eras("show", "spine-miss-lumbar", "--pod", "3").stdout
    )
    day_8 = eras("show", "spine-miss-lumbar", "--pod", "8").stdout
    assert "POD 8 CHECK-IN" not in day_8  # only the evening check, if discharged that day
    assert (
        "DISCHARGE-DAY EVENING CHECK at 18:00, if the patient goes home on POD 8" in day_8
    )  # only the evening check, if discharged that day
    assert (
        "No check-in on POD 8"
        in eras("show", "spine-miss-lumbar", "--pod", "8").stdout.replace("", "")
        or "DISCHARGE-DAY EVENING CHECK at 18:00, if the patient goes home on POD 8" in day_8
    )


@pytest.mark.usefixtures("hospital_folder")
def test_show_a_protocol_with_conditions_and_local_targets() -> None:
    out = eras("show", "test-inguinal-hernia").stdout
    assert "asked only when groin_pain ≥ 4" in out
    assert "30.0–150.0 kg, worse when higher; 151–400 read as lb" in out
    assert "red_emergency  acknowledge within 10 min  [local]" in out
    day = eras("show", "test-inguinal-hernia", "--pod", "7").stdout
    assert "  2. pain_worse_with (text, skippable)  [local]" in day


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["show", "spine-mis-lumbar"],
            "unknown protocol 'spine-mis-lumbar'; did you mean 'spine-miss-lumbar'?",
        ),
        (
            ["show", "spine-miss-lumbar", "--lang", "fr"],
            "spine-miss-lumbar has no 'fr' text (en, es)",
        ),
    ],
)
def test_show_refuses_what_does_not_exist(args: list[str], message: str) -> None:
    result = eras(*args)
    assert result.exit_code == 1
    assert message in result.stderr


# score


def score(*args: str, answers: object = None) -> Result:
    stdin = None if answers is None else json.dumps(answers)
    extra = ["--answers", "-"] if answers is not None else []
    return eras("score", *args, *extra, stdin=stdin)


def test_score_json_reports_tier_findings_milestones_and_recovery_score() -> None:
    result = score(
        "spine-miss-lumbar",
        "--pod",
        "4",
        "--json",
        answers={"temperature": 38.0, "walking": "indoors"},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("protocol", "version", "pod", "tier")} == {
        "protocol": "spine-miss-lumbar",
        "version": "2",
        "pod": 4,
        "tier": "red_urgent",
    }
    assert report["findings"] == [
        {
            "rule": "fever_late",
            "tier": "red_urgent",
            "items": ["temperature"],
            "values": {"temperature": "38.0 °C"},
            "reason": "Temperature 38.0 °C or higher on POD 4 or later: late-onset fever is the "
            "one that predicts infection",
        }
    ]
    statuses = {m["id"]: (m["pod"], m["status"]) for m in report["milestones"]}
    assert statuses["walking_indoors"] == (2, "met")
    assert statuses["back_pain_5"] == (3, "not_judged")
    assert report["recovery_score"] == 100  # of the judged ones; back pain was not answered


def test_score_one_degree_less_is_a_near_miss() -> None:
    report = json.loads(
        score("spine-miss-lumbar", "--pod", "3", "--json", answers={"temperature": 38.0}).stdout
    )
    assert [f["rule"] for f in report["findings"]] == ["fever"]
    assert report["tier"] == "amber"


def test_score_with_history_and_reasons_in_spanish(tmp_path: Path) -> None:
    history = write(
        tmp_path,
        "h.json",
        json.dumps([{"pod": 1, "answers": {"pain_back": 3}}, {"pod": 2, "missed": True}]),
    )
    result = score(
        "spine-miss-lumbar",
        "--pod",
        "3",
        "--history",
        str(history),
        "--lang",
        "es",
        answers={"pain_back": 6},
    )
    assert result.exit_code == 0, result.output
    assert "spine-miss-lumbar v2, POD 3: amber" in result.stdout
    assert "pain_rising" in result.stdout and "Dolor de 5/10 o más" in result.stdout
    assert "Recovery score: 0" in result.stdout


def test_score_a_missed_check_in(tmp_path: Path) -> None:
    result = eras("score", "spine-miss-lumbar", "--pod", "1", "--missed", "--kind", "evening")
    assert result.exit_code == 0
    assert "red_urgent     no_response_discharge_evening  The discharge-day evening check was" in (
        result.stdout
    )
    daily = eras("score", "spine-miss-lumbar", "--pod", "1", "--missed")
    assert "amber          no_response_early  The discharge-evening check or the first" in (
        daily.stdout
    )


def test_score_a_concern_screen_with_the_patients_words() -> None:
    words = {"calf": False, "concern_words": "my wound itches"}
    result = score("spine-miss-fusion", "--pod", "20", "--kind", "concern", "--json", answers=words)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tier"] == "amber"
    [finding] = report["findings"]
    assert finding["rule"] == "patient_concern"
    assert finding["values"] == {"concern_words": "my wound itches"}
    assert report["recovery_score"] is None


def test_score_text_output_without_findings_or_due_milestones() -> None:
    result = score("spine-miss-lumbar", "--pod", "0", answers={"pain_back": 2})
    assert result.stdout == "spine-miss-lumbar v2, POD 0: green\nRecovery score: —\n"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"temprature": 38}, "answers: unknown item 'temprature'; did you mean 'temperature'?"),
        ({"temperature": 451}, "answers: temperature: 451 is outside 30–43"),
        (
            {"bladder": "leaky"},
            "answers: bladder: must be one of normal, difficult, cannot_pass, leaking",
        ),
        ([1, 2], 'answers: give a JSON object such as {"pain_back": 7}'),
    ],
)
def test_score_refuses_answers_that_do_not_fit(answers: object, message: str) -> None:
    result = score("spine-miss-lumbar", "--pod", "3", answers=answers)
    assert result.exit_code == 1
    assert message in result.stderr


def test_score_refuses_bad_json_history_and_options(tmp_path: Path) -> None:
    bad = eras("score", "spine-miss-lumbar", "--pod", "3", "--answers", "-", stdin="{pain")
    assert bad.exit_code == 1 and "answers: not JSON" in bad.stderr
    history = write(tmp_path, "h.json", json.dumps([{"pod": 4}, {"pod": 2}]))
    late = score("spine-miss-lumbar", "--pod", "5", "--history", str(history), answers={})
    assert late.exit_code == 1 and "history entry 2: POD 2 comes after POD 4" in late.stderr
    neither = eras("score", "spine-miss-lumbar", "--pod", "3")
    assert neither.exit_code == 1 and "give --answers FILE, or --missed" in neither.stderr
    both = score("spine-miss-lumbar", "--pod", "3", "--missed", answers={})
    assert both.exit_code == 1
    unknown = score("spine-x", "--pod", "3", answers={})
    assert unknown.exit_code == 1 and "unknown protocol 'spine-x'" in unknown.stderr
    negative = score("spine-miss-lumbar", "--pod", "-1", answers={})
    assert negative.exit_code == 2


# export, diff, schema


def test_export_fhir_questionnaire() -> None:
    result = eras("export", "spine-miss-lumbar", "--format", "fhir", "--lang", "es")
    assert result.exit_code == 0
    questionnaire = json.loads(result.stdout)
    assert questionnaire["resourceType"] == "Questionnaire"
    assert questionnaire["language"] == "es"
    assert questionnaire["item"][0]["linkId"] == "saddle_numbness"


def test_diff_lists_changes_for_sign_off(tmp_path: Path) -> None:
    text = MISS.read_text("utf-8")
    changed = write(
        tmp_path,
        "v2.yaml",
        text.replace('version: "2"', 'version: "3"').replace("at_least: 38.5}", "at_least: 39.0}"),
    )
    result = eras("diff", str(MISS), str(changed))
    assert result.exit_code == 0
    assert result.stdout == "version: 2 → 3\nrule 'fever_high': threshold 38.5 → 39.0\n"
    assert eras("diff", str(MISS), str(MISS)).stdout == "no changes\n"


def test_diff_needs_two_valid_files(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.yaml", "id: x\n")
    result = eras("diff", str(MISS), str(broken))
    assert result.exit_code == 1
    assert f"{broken}:1: missing key 'version'" in result.stderr


def test_schema_prints_the_shipped_json_schema() -> None:
    result = eras("schema")
    assert result.exit_code == 0
    assert result.stdout == (SHIPPED / "protocol.schema.json").read_text("utf-8")
