"""Admins add care teams from the command line; mistakes get a clear answer."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import cli


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    return CliRunner()


def test_a_team_is_added_and_listed(runner: CliRunner) -> None:
    added = runner.invoke(
        cli, ["team", "add", "Spine ward", "--chat-id", "-1001", "--tz", "Europe/Madrid"]
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli, ["team", "list", "--json"])
    assert json.loads(listed.output) == [
        {"id": 1, "name": "Spine ward", "chat_id": -1001, "timezone": "Europe/Madrid"}
    ]


def test_a_duplicate_team_is_refused(runner: CliRunner) -> None:
    runner.invoke(cli, ["team", "add", "Spine ward", "--chat-id", "-1001"])
    again = runner.invoke(cli, ["team", "add", "Spine ward", "--chat-id", "-1002"])
    assert again.exit_code == 1
    assert "exists" in again.output


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--chat-id", "12345"], "negative"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_bad_team_settings_are_explained(
    runner: CliRunner, args: list[str], complaint: str
) -> None:
    result = runner.invoke(cli, ["team", "add", "Ward", *args])
    assert result.exit_code == 2
    assert complaint in result.output


def test_an_unmigrated_database_says_what_to_run(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERAS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/fresh.sqlite3")
    result = CliRunner().invoke(cli, ["team", "list"])
    assert result.exit_code == 1
    assert "eras db upgrade" in result.output
