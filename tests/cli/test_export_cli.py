"""``eras export fhir``: one Bundle for a patient, NDJSON for several, clear refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fhir.resources.R4B.bundle import Bundle

from bot.cli import cli

NAMESPACE = "3c1d2b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    monkeypatch.setenv("ERAS_FHIR_NAMESPACE", NAMESPACE)
    runner = CliRunner()
    result = runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"])
    assert result.exit_code == 0, result.output
    for ref in ("P-7", "P-8"):
        result = runner.invoke(
            cli,
            [
                "enroll",
                "--ref",
                ref,
                "--protocol",
                "spine-open-lumbar",
                "--team",
                "Spine",
                "--surgery-date",
                "2026-11-20",
                "--tz",
                "Europe/Madrid",
                "--name",
                f"Name of {ref}",
            ],
        )
        assert result.exit_code == 0, result.output
    return runner


def test_a_patient_is_one_transaction_bundle(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["export", "fhir", "--patient", "P-7"])
    assert result.exit_code == 0, result.output
    bundle = Bundle.model_validate(json.loads(result.output))
    assert bundle.type == "transaction"
    (procedure,) = [
        e.resource for e in bundle.entry if e.resource.get_resource_type() == "Procedure"
    ]
    assert procedure.category.coding[0].code == "open"
    assert "Name of" not in result.output


def test_a_team_is_ndjson_with_one_bundle_a_line(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "spine.ndjson"
    result = runner.invoke(cli, ["export", "fhir", "--team", "Spine", "--with-names", "--out", out])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").splitlines()
    bundles = [Bundle.model_validate(json.loads(line)) for line in lines]
    assert [b.entry[0].resource.name[0].text for b in bundles] == ["Name of P-7", "Name of P-8"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--patient", "P-404"], "no patient with reference 'P-404'"),
        (["--team", "Cardiology"], "no team named 'Cardiology'"),
        (["--since", "2026-13-40"], "--since"),
        (["--patient", "P-7", "--team", "Spine"], "not both"),
    ],
)
def test_bad_input_is_refused_with_exit_code_2(
    runner: CliRunner, args: list[str], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "export.ndjson"
    result = runner.invoke(cli, ["export", "fhir", *args, "--out", out])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()


def test_without_a_namespace_nothing_is_exported(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERAS_FHIR_NAMESPACE")
    result = runner.invoke(cli, ["export", "fhir"])
    assert result.exit_code == 2
    assert "ERAS_FHIR_NAMESPACE" in result.output
