"""`eras enroll --csv`: a ward's list enrolled whole or not at all, every problem reported with
its line, then a list of links and a printable sheet for each patient."""

from __future__ import annotations

import csv
import json
import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli

TODAY = date.today()
HEADER = "ref,surgery_date,protocol,team,tz,lang,discharge_date,procedure,name\n"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    monkeypatch.setenv("ERAS_EMERGENCY_NUMBER", "112")
    runner = CliRunner()
    assert runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"]).exit_code == 0
    return runner


def _row(ref: str, days: int = 1, *, lang: str = "en", **fields: str) -> str:
    values = {
        "ref": ref,
        "surgery_date": (TODAY + timedelta(days=days)).isoformat(),
        "protocol": "spine-miss-lumbar",
        "team": "Spine",
        "tz": "Europe/Madrid",
        "lang": lang,
        "discharge_date": "",
        "procedure": "",
        "name": "",
    } | fields
    return ",".join(values.values()) + "\n"


def _list(tmp_path: Path, *rows: str, name: str = "ward.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows))
    return path


def _enrolled(runner: CliRunner) -> list[str]:
    listed = runner.invoke(cli, ["patient", "list", "--json"])
    return [str(row["ref"]) for row in json.loads(listed.output)]


def test_a_list_is_enrolled_with_a_link_and_a_sheet_each(runner: CliRunner, tmp_path: Path) -> None:
    ward = _list(
        tmp_path,
        _row("P-001", procedure="L4-5 MIS-TLIF", lang="es", name="Ana"),
        _row("P-002", days=-3, discharge_date=TODAY.isoformat()),
    )
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(cli, ["enroll", "--csv", str(ward), "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["enrolled"] == 2
    assert sorted(_enrolled(runner)) == ["P-001", "P-002"]

    with (out / "enrolment-links.csv").open() as file:
        links = list(csv.DictReader(file))
    assert [row["ref"] for row in links] == ["P-001", "P-002"]
    assert all(row["link"].startswith("https://t.me/eras_ward_bot?start=") for row in links)
    assert len({row["link"] for row in links}) == 2
    assert (out / "enrolment-links.csv").stat().st_mode & 0o077 == 0  # links enrol: private

    sheet = (out / links[0]["sheet"]).read_text()
    assert links[0]["link"] in sheet and "<svg" in sheet  # as text and as a QR code
    assert 'lang="es"' in sheet and "L4-5 MIS-TLIF" in sheet
    assert (TODAY + timedelta(days=1)).isoformat() in sheet
    assert "(112)" in sheet  # the emergency instruction, with the site's number
    assert "Señales de alarma" in sheet and "☎ 112" in sheet  # the protocol's warning signs
    assert "@page { size: A4" in sheet  # its own style: the file stands alone
    audited = runner.invoke(cli, ["audit", "list", "--patient", "P-002", "--json"])
    assert "patient.enrol" in [e["action"] for e in json.loads(audited.output)]
    verified = runner.invoke(cli, ["audit", "verify"])  # one entry a patient, chained
    assert verified.exit_code == 0, verified.output


def test_a_listed_patient_is_enrolled_as_one_enrolled_alone(
    runner: CliRunner, tmp_path: Path
) -> None:
    alone = runner.invoke(
        cli,
        [
            *["enroll", "--protocol", "spine-miss-lumbar", "--team", "Spine", "--ref", "P-001"],
            *["--surgery-date", (TODAY + timedelta(days=1)).isoformat(), "--tz", "Europe/Madrid"],
            *["--lang", "es", "--procedure", "MIS-TLIF", "--discharge-date"],
            (TODAY + timedelta(days=2)).isoformat(),
        ],
    )
    assert alone.exit_code == 0, alone.output
    listed = _row(
        "P-002",
        lang="es",
        procedure="MIS-TLIF",
        discharge_date=(TODAY + timedelta(days=2)).isoformat(),
    )
    result = runner.invoke(cli, ["enroll", "--csv", str(_list(tmp_path, listed))])
    assert result.exit_code == 0, result.output

    def shown(ref: str) -> dict[str, object]:
        episode: dict[str, object] = json.loads(
            runner.invoke(cli, ["patient", "show", ref, "--json"]).output
        )[-1]
        return {k: v for k, v in episode.items() if k not in ("ref", "name", "episode_id")}

    assert shown("P-002") == shown("P-001")


def test_every_bad_row_is_reported_with_its_line_and_nobody_is_enrolled(
    runner: CliRunner, tmp_path: Path
) -> None:
    ward = _list(
        tmp_path,
        _row("P-001"),  # line 2: fine
        _row("P-002", surgery_date="2026-02-30"),  # line 3
        _row("P-003", days=61),  # line 4
        _row("P-004", discharge_date=(TODAY - timedelta(days=5)).isoformat()),  # line 5
        _row("P-005", team="Cardiology", tz="Madrid"),  # line 6
        _row("P-006", protocol="spine-miss-lumbr"),  # line 7
        _row("P-007", lang="fr"),  # line 8
        _row("P-001"),  # line 9
    )
    result = runner.invoke(cli, ["enroll", "--csv", str(ward)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    source = str(ward)
    for expected in (
        f"{source}:3: surgery_date '2026-02-30' is not a date",
        f"{source}:4: the surgery date",
        f"{source}:5: the discharge date is before the surgery date",
        f"{source}:6: unknown time zone 'Madrid': did you mean Europe/Madrid?",
        f"{source}:6: no team named 'Cardiology'",
        f"{source}:7: unknown protocol 'spine-miss-lumbr'",
        f"{source}:8: protocol 'spine-miss-lumbar' speaks",
        f"{source}:9: reference P-001 is also on line 2",
    ):
        assert any(line.startswith(expected) for line in lines), (expected, lines)
    assert not any(line.startswith(f"{source}:2:") for line in lines)
    assert "8 problems: nobody was enrolled" in lines[-1]
    assert _enrolled(runner) == []
    assert not (tmp_path / "enrolment-links.csv").exists()


def test_a_header_that_does_not_name_the_columns_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    ward = tmp_path / "ward.csv"
    ward.write_text("ref,date,protocol,team,tz,lang\nP-001,2026-01-01,x,Spine,UTC,en\n")
    result = runner.invoke(cli, ["enroll", "--csv", str(ward)])
    assert result.exit_code == 1
    assert f"{ward}:1: the header lacks surgery_date; unknown columns date" in result.output


def test_a_patient_already_followed_is_a_problem_of_the_list(
    runner: CliRunner, tmp_path: Path
) -> None:
    first = runner.invoke(cli, ["enroll", "--csv", str(_list(tmp_path, _row("P-001")))])
    assert first.exit_code == 0, first.output
    again = _list(tmp_path, _row("P-002"), _row("P-001"), name="again.csv")
    result = runner.invoke(cli, ["enroll", "--csv", str(again), "--force"])
    assert result.exit_code == 1
    assert f"{again}:3: patient P-001 already has a follow-up in progress" in result.output
    assert _enrolled(runner) == ["P-001"]


def test_existing_files_are_not_overwritten_without_force(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "enrolment-links.csv").write_text("kept")
    result = runner.invoke(cli, ["enroll", "--csv", str(_list(tmp_path, _row("P-001")))])
    assert result.exit_code == 1
    assert "exists: give another file, or --force" in result.output
    assert (tmp_path / "enrolment-links.csv").read_text() == "kept"
    assert _enrolled(runner) == []


def test_a_symbolic_link_in_place_of_a_file_or_the_folder_is_refused(
    runner: CliRunner, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "sheet-P-001.html").symlink_to(elsewhere / "planted.html")
    ward = _list(tmp_path, _row("P-001"))
    planted = runner.invoke(cli, ["enroll", "--csv", str(ward), "--force"])
    assert planted.exit_code == 1 and "is a symbolic link" in planted.output
    assert not (elsewhere / "planted.html").exists()
    (tmp_path / "out").symlink_to(elsewhere)
    linked = runner.invoke(cli, ["enroll", "--csv", str(ward), "--out", str(tmp_path / "out")])
    assert linked.exit_code == 1 and "is a symbolic link" in linked.output
    assert _enrolled(runner) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_an_unwritable_folder_is_refused_before_anyone_is_enrolled(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir(mode=0o500)
    result = runner.invoke(
        cli, ["enroll", "--csv", str(_list(tmp_path, _row("P-001"))), "--out", str(out)]
    )
    assert result.exit_code == 1 and "is not writable" in result.output
    assert _enrolled(runner) == []


def test_files_that_cannot_be_written_enrol_nobody(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the early check can't see (the disk fills, a name appears meanwhile): the
    transaction is rolled back and what was written is taken away."""
    import sys

    bulk = sys.modules["bot.cli.patient.bulk"]
    real = bulk.write_private
    calls: list[Path] = []

    def second_write_fails(path: Path, data: bytes, *, force: bool) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(path))
        real(path, data, force=force)

    monkeypatch.setattr(bulk, "write_private", second_write_fails)
    ward = _list(tmp_path, _row("P-001"), _row("P-002"))
    result = runner.invoke(cli, ["enroll", "--csv", str(ward)])
    assert result.exit_code == 1
    assert "No space left on device" in result.output and "nobody was enrolled" in result.output
    assert _enrolled(runner) == []
    assert not list(tmp_path.glob("sheet-*.html"))


def test_a_missing_folder_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    ward = _list(tmp_path, _row("P-001"))
    result = runner.invoke(cli, ["enroll", "--csv", str(ward), "--out", str(tmp_path / "nope")])
    assert result.exit_code == 1 and "there is no folder" in result.output


def test_csv_and_one_patient_s_options_do_not_mix(runner: CliRunner, tmp_path: Path) -> None:
    ward = _list(tmp_path, _row("P-001"))
    result = runner.invoke(cli, ["enroll", "--csv", str(ward), "--ref", "P-9"])
    assert result.exit_code == 2 and "--csv takes each patient's values" in result.output
    alone = runner.invoke(cli, ["enroll", "--ref", "P-9"])
    assert alone.exit_code == 2 and "give --protocol, --surgery-date" in alone.output
