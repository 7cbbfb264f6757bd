"""Admins add staff to care teams; each links their Telegram account once."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bot.cli import cli


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    runner = CliRunner()
    assert runner.invoke(cli, ["team", "add", "Spine", "--chat-id", "-100500"]).exit_code == 0
    return runner


def test_a_nurse_gets_a_one_time_link(runner: CliRunner) -> None:
    added = runner.invoke(
        cli,
        ["staff", "add", "--name", "Ana Ruiz", "--role", "nurse", "--team", "Spine", "--on-call"],
    )
    assert added.exit_code == 0, added.output
    assert "https://t.me/eras_ward_bot?start=" in added.output
    listed = json.loads(runner.invoke(cli, ["staff", "list", "--json"]).output)
    assert listed == [
        {
            "id": 1,
            "name": "Ana Ruiz",
            "role": "nurse",
            "team": "Spine",
            "on_call": True,
            "linked": False,
            "active": True,
        }
    ]


def test_a_known_telegram_account_is_linked_at_once_and_only_once(runner: CliRunner) -> None:
    args = ["staff", "add", "--role", "surgeon", "--team", "Spine", "--telegram-id", "4242"]
    first = runner.invoke(cli, [*args, "--name", "Dr Vidal", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["link"] is None
    second = runner.invoke(cli, [*args, "--name", "Someone else"])
    assert second.exit_code == 1
    assert "already linked" in second.output


@pytest.mark.parametrize(
    ("args", "complaint", "code"),
    [
        (["--team", "Cardiology", "--role", "nurse"], "no team named 'Cardiology'", 1),
        (["--team", "Spine", "--role", "janitor"], "janitor", 2),
    ],
)
def test_wrong_staff_details_are_refused(
    runner: CliRunner, args: list[str], complaint: str, code: int
) -> None:
    result = runner.invoke(cli, ["staff", "add", "--name", "X", *args])
    assert result.exit_code == code
    assert complaint in result.output
