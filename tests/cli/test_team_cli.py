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
        {
            "id": 1,
            "name": "Spine ward",
            "chat_id": -1001,
            "timezone": "Europe/Madrid",
            "emergency_number": None,  # the default, ERAS_EMERGENCY_NUMBER
            "phone": None,
        }
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
        (["--tz", "Madrid"], "unknown time zone 'Madrid': did you mean Europe/Madrid?"),
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


TEAMS_YAML = """
teams:
  - name: Spine ward
    chat_id: -1001
    tz: Europe/Madrid
    escalation:
      red_urgent:
        - {after: 0s, notify: team_chat}
        - {after: 10m, notify: on_call}
        - {after: 20m, notify: surgeon, repeat_every: 10m}
      amber:
        - {after: 0s, notify: team_chat, daytime: false}
        - {after: 6h, notify: on_call}
"""


def test_teams_and_their_chains_are_applied_from_a_file(
    runner: CliRunner, tmp_path: object, database_url: str
) -> None:
    import asyncio
    from pathlib import Path

    from sqlalchemy import select

    from db.engine import create_engine
    from db.models import EscalationStep

    path = Path(str(tmp_path)) / "teams.yaml"
    path.write_text(TEAMS_YAML)
    for _ in range(2):  # applying the same file again changes nothing
        result = runner.invoke(cli, ["team", "apply", str(path)])
        assert result.exit_code == 0, result.output

    async def chain() -> list[tuple[int, str, int | None]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    select(
                        EscalationStep.after_seconds,
                        EscalationStep.notify,
                        EscalationStep.repeat_every_seconds,
                    ).order_by(EscalationStep.tier.desc(), EscalationStep.position)
                )
                return [tuple(row) for row in rows]  # type: ignore[misc]
        finally:
            await engine.dispose()

    assert asyncio.run(chain()) == [
        (0, "team_chat", None),
        (600, "on_call", None),
        (1200, "surgeon", 600),
        (0, "team_chat", None),
        (21600, "on_call", None),
    ]
    listed = json.loads(runner.invoke(cli, ["team", "list", "--json"]).output)
    assert [t["name"] for t in listed] == ["Spine ward"]


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (TEAMS_YAML.replace("10m", "ten minutes"), "not a duration"),
        (TEAMS_YAML.replace("on_call", "on_duty"), "notify"),
        (TEAMS_YAML.replace("-1001", "1001"), "negative"),
        (TEAMS_YAML.replace("after: 20m", "after: 5m"), "red_urgent: steps out of order"),
        (TEAMS_YAML.replace("repeat_every: 10m", "repeat_every: 0s"), "more than 0 seconds"),
    ],
)
def test_a_wrong_teams_file_is_refused_and_changes_nothing(
    runner: CliRunner, tmp_path: object, text: str, complaint: str
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "teams.yaml"
    path.write_text(text)
    result = runner.invoke(cli, ["team", "apply", str(path)])
    assert result.exit_code == 1
    assert complaint in result.output
    assert json.loads(runner.invoke(cli, ["team", "list", "--json"]).output) == []


def test_a_teams_file_s_mistakes_read_as_sentences_naming_team_and_field(
    runner: CliRunner, tmp_path: object
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "teams.yaml"
    path.write_text(
        "teams:\n"
        "  - name: Spine\n"
        "    chat: -100\n"
        "    escalation:\n"
        "      amber:\n"
        "        - notify: nurse\n"
        "  - name: Neuro\n"
        "    chat_id: twelve\n"
    )
    result = runner.invoke(cli, ["team", "apply", str(path)])
    assert result.exit_code == 1
    assert (
        f"{path}: team 'Spine': escalation.amber[1].notify: must be one of 'team_chat', "
        "'on_call' or 'surgeon', not 'nurse'"
    ) in result.output
    assert f"{path}: team 'Spine': chat: not a known field" in result.output
    assert f"{path}: team 'Neuro': chat_id: must be a whole number, not 'twelve'" in result.output
    assert "pydantic" not in result.output and "input_value" not in result.output
