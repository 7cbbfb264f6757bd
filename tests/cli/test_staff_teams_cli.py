"""Staff in several teams with a role in each (eras staff join / set-role / leave), a removed
member linked again (eras staff relink), and each team's emergency number and phone
(eras team set-contact, the teams file, eras doctor)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot.cli import cli


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_BOT_USERNAME", "eras_ward_bot")
    monkeypatch.delenv("ERAS_EMERGENCY_NUMBER", raising=False)
    runner = CliRunner()
    for name, chat in (("Spine", "-100500"), ("Cervical", "-100600")):
        assert runner.invoke(cli, ["team", "add", name, "--chat-id", chat]).exit_code == 0
    added = runner.invoke(
        cli, ["staff", "add", "--name", "Nora", "--role", "nurse", "--team", "Spine"]
    )
    assert added.exit_code == 0, added.output
    return runner


def _memberships(runner: CliRunner) -> list[tuple[str, str, bool]]:
    rows: list[dict[str, Any]] = json.loads(runner.invoke(cli, ["staff", "list", "--json"]).output)
    return [(r["team"], r["role"], r["active"]) for r in rows]


def test_a_nurse_joins_a_second_team_as_its_admin_and_changes_role_there(
    runner: CliRunner,
) -> None:
    joined = runner.invoke(cli, ["staff", "join", "Nora", "--team", "Cervical", "--role", "admin"])
    assert (joined.exit_code, joined.output.strip()) == (0, "Nora (id 1) is now admin of Cervical")
    assert _memberships(runner) == [("Cervical", "admin", True), ("Spine", "nurse", True)]
    changed = runner.invoke(
        cli, ["staff", "set-role", "1", "--team", "Cervical", "--role", "surgeon", "--json"]
    )
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.output) == {
        "id": 1,
        "name": "Nora",
        "team": "Cervical",
        "role": "surgeon",
        "on_call": False,
    }
    assert _memberships(runner) == [("Cervical", "surgeon", True), ("Spine", "nurse", True)]
    left = runner.invoke(cli, ["staff", "leave", "Nora", "--team", "Cervical"])
    assert (left.exit_code, left.output.strip()) == (0, "Nora (id 1) is no longer in Cervical")
    assert _memberships(runner) == [("Spine", "nurse", True)]


@pytest.mark.parametrize(
    ("args", "said", "code"),
    [
        (["join", "Zoe", "--team", "Cervical", "--role", "nurse"], "no active staff member", 1),
        (["join", "99", "--team", "Cervical", "--role", "nurse"], "no staff member with id 99", 1),
        (["join", "Nora", "--team", "Cardio", "--role", "nurse"], "no team named 'Cardio'", 1),
        (["join", "Nora", "--team", "Cervical", "--role", "janitor"], "janitor", 2),
        (["join", "Nora", "--team", "Spine", "--role", "admin"], "already in team 'Spine'", 1),
        (["set-role", "Nora", "--team", "Cervical", "--role", "admin"], "named 'Nora' in", 1),
        (["set-role", "Nora", "--team", "Spine", "--role", "chief"], "chief", 2),
        (["leave", "Nora", "--team", "Spine"], "the only team of Nora", 1),
        (["relink", "Zoe"], "no staff member named 'Zoe'", 1),
    ],
)
def test_wrong_membership_changes_are_refused_and_change_nothing(
    runner: CliRunner, args: list[str], said: str, code: int
) -> None:
    result = runner.invoke(cli, ["staff", *args])
    assert result.exit_code == code
    assert said in result.output
    assert _memberships(runner) == [("Spine", "nurse", True)]


def test_a_removed_member_is_linked_again_with_their_teams(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["staff", "remove", "Nora"]).exit_code == 0
    assert _memberships(runner) == [("Spine", "nurse", False)]
    back = runner.invoke(cli, ["staff", "relink", "Nora", "--json"])
    assert back.exit_code == 0, back.output
    said = json.loads(back.output)
    assert (said["reinstated"], said["teams"]) == (True, [{"team": "Spine", "role": "nurse"}])
    assert said["link"].startswith("https://t.me/eras_ward_bot?start=")
    assert _memberships(runner) == [("Spine", "nurse", True)]


def test_an_account_a_removed_member_held_can_be_linked_to_a_new_record(
    runner: CliRunner,
) -> None:
    args = ["staff", "add", "--name", "Dr Vidal", "--role", "surgeon", "--team", "Spine"]
    assert runner.invoke(cli, [*args, "--telegram-id", "4242"]).exit_code == 0
    taken = runner.invoke(cli, ["staff", "relink", "Nora", "--telegram-id", "4242"])
    assert (taken.exit_code, "already linked" in taken.output) == (1, True)
    assert runner.invoke(cli, ["staff", "remove", "Dr Vidal"]).exit_code == 0
    again = runner.invoke(cli, ["staff", "relink", "Nora", "--telegram-id", "4242"])
    assert again.exit_code == 0, again.output
    assert "their Telegram account is linked" in again.output


def test_a_team_s_emergency_number_and_phone_are_set_and_cleared(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        ["team", "set-contact", "Cervical", "--emergency-number", "061", "--phone", "+34 913 000"],
    )
    assert result.exit_code == 0, result.output
    listed = {
        t["name"]: t for t in json.loads(runner.invoke(cli, ["team", "list", "--json"]).output)
    }
    assert (listed["Cervical"]["emergency_number"], listed["Cervical"]["phone"]) == (
        "061",
        "+34 913 000",
    )
    assert listed["Spine"]["emergency_number"] is None
    cleared = runner.invoke(
        cli, ["team", "set-contact", "Cervical", "--emergency-number", "default", "--json"]
    )
    assert json.loads(cleared.output) == {
        "name": "Cervical",
        "emergency_number": None,
        "phone": "+34 913 000",
    }


@pytest.mark.parametrize(
    ("args", "said", "code"),
    [
        (["Cardio", "--emergency-number", "112"], "no team named 'Cardio'", 1),
        (["Spine", "--emergency-number", "call me"], "not a phone number: 'call me'", 1),
        (["Spine", "--phone", "12"], "", 0),
        (["Spine"], "give --emergency-number, --phone or both", 2),
    ],
)
def test_wrong_team_numbers_are_refused(
    runner: CliRunner, args: list[str], said: str, code: int
) -> None:
    result = runner.invoke(cli, ["team", "set-contact", *args])
    assert result.exit_code == code, result.output
    assert said in result.output


def test_the_teams_file_gives_each_team_its_numbers(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "teams.yaml"
    good.write_text(
        "teams:\n"
        "  - {name: Spine, chat_id: -100500, emergency_number: 112}\n"
        "  - {name: Cervical, chat_id: -100600, emergency_number: '061', phone: '+34 91 3'}\n"
    )
    assert runner.invoke(cli, ["team", "apply", str(good)]).exit_code == 0
    listed = {
        t["name"]: t for t in json.loads(runner.invoke(cli, ["team", "list", "--json"]).output)
    }
    assert [listed[n]["emergency_number"] for n in ("Spine", "Cervical")] == ["112", "061"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("teams:\n  - {name: Spine, emergency_number: 'ring the ward'}\n")
    refused = runner.invoke(cli, ["team", "apply", str(bad)])
    assert refused.exit_code == 1
    assert "team 'Spine', emergency number: not a phone number" in refused.output


def test_doctor_names_a_team_without_a_number_when_there_is_no_default(
    runner: CliRunner,
) -> None:
    assert (
        runner.invoke(cli, ["team", "set-contact", "Spine", "--emergency-number", "112"]).exit_code
        == 0
    )
    result = runner.invoke(cli, ["doctor", "--json"])
    found = json.loads(result.output)
    numbers = [f for f in found["findings"] if f["kind"] == "no_emergency_number"]
    assert [f.get("team") for f in numbers] == [None, "Cervical"]
