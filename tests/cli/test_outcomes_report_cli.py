"""``eras report outcomes``: written where asked, recorded in the audit log, bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    runner = CliRunner()
    result = runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"])
    assert result.exit_code == 0, result.output
    return runner


def test_the_report_is_written_and_recorded_in_the_audit_log(
    runner: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "outcomes.json"
    args = ["report", "outcomes", "--team", "Spine", "--pathway", "spine-miss-lumbar"]
    result = runner.invoke(cli, [*args, "--from", "2026-01-01", "--format", "json", "--out", out])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["scope"]["team"] == "Spine" and report["scope"]["surgery_from"] == "2026-01-01"
    assert "<5" in report["small_cells"]
    audit = runner.invoke(cli, ["audit", "list", "--action", "outcomes.report", "--json"])
    (entry,) = json.loads(audit.output)
    assert entry["detail"]["format"] == "json"
    assert entry["detail"]["pathways"] == ["spine-miss-lumbar"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--team", "Cardiology"], "no team named 'Cardiology'"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "--from is after --to"),
        (["--format", "pdf"], "'pdf' is not one of"),
    ],
)
def test_bad_input_is_refused_and_writes_no_file(
    runner: CliRunner, args: list[str], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "outcomes.html"
    result = runner.invoke(cli, ["report", "outcomes", *args, "--out", out])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
