"""Admins add staff to care teams; each links their Telegram account once."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import cli
from bot.staff.registry import link_staff
from db.engine import create_engine, session_factory
from db.models import AuditEntry


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


def _add(runner: CliRunner, name: str, *flags: str) -> dict[str, Any]:
    added = runner.invoke(
        cli,
        ["staff", "add", "--name", name, "--role", "nurse", "--team", "Spine", "--json", *flags],
    )
    assert added.exit_code == 0, added.output
    result: dict[str, Any] = json.loads(added.output)
    return result


def _listed(runner: CliRunner) -> dict[int, dict[str, Any]]:
    return {r["id"]: r for r in json.loads(runner.invoke(cli, ["staff", "list", "--json"]).output)}


def _audited(database_url: str, action: str) -> list[dict[str, Any]]:
    async def rows() -> list[dict[str, Any]]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                found = await connection.scalars(
                    select(AuditEntry.detail)
                    .where(AuditEntry.action == action)
                    .order_by(AuditEntry.id)
                )
                return list(found)
        finally:
            await engine.dispose()

    return asyncio.run(rows())


def _link(database_url: str, token: str) -> bool:
    async def attempt() -> bool:
        engine = create_engine(database_url)
        try:
            async with session_factory(engine).begin() as session:
                return await link_staff(session, token, 777, datetime.now(UTC)) is not None
        finally:
            await engine.dispose()

    return asyncio.run(attempt())


def test_staff_who_left_are_removed_keeping_their_record_and_their_link_dies(
    runner: CliRunner, database_url: str
) -> None:
    ana = _add(runner, "Ana Ruiz", "--on-call")
    removed = runner.invoke(cli, ["staff", "remove", "ana ruiz"])
    assert removed.exit_code == 0, removed.output
    assert removed.output.splitlines() == [
        "Ana Ruiz (id 1) removed: they can no longer act on alerts or use the console",
        "their unused Telegram link no longer works",
        "nobody is on call for Spine now (`eras staff on-call NAME --team 'Spine'`)",
    ]
    listed = _listed(runner)[ana["id"]]
    assert (listed["name"], listed["active"], listed["on_call"]) == ("Ana Ruiz", False, False)
    assert "removed" in runner.invoke(cli, ["staff", "list"]).output
    assert not _link(database_url, ana["token"])
    assert _audited(database_url, "staff.remove") == [
        {"staff": 1, "links_revoked": 1, "was_on_call_for": ["Spine"]}
    ]
    again = runner.invoke(cli, ["staff", "remove", "1"])
    assert (again.exit_code, again.output.strip()) == (
        1,
        "Error: Ana Ruiz (id 1) was already removed",
    )


def test_a_name_two_people_share_needs_the_id(runner: CliRunner) -> None:
    _add(runner, "Ana Ruiz")
    _add(runner, "Ana Ruiz")
    ambiguous = runner.invoke(cli, ["staff", "remove", "Ana Ruiz"])
    assert ambiguous.exit_code == 1
    assert "2 staff members are named 'Ana Ruiz' (ids 1, 2): give the id" in ambiguous.output
    assert runner.invoke(cli, ["staff", "remove", "2"]).exit_code == 0
    assert [r["active"] for r in _listed(runner).values()] == [True, False]
    # Only active staff answer to a name: the one left is now unambiguous.
    assert runner.invoke(cli, ["staff", "on-call", "Ana Ruiz", "--team", "Spine"]).exit_code == 0


def test_on_call_is_set_and_cleared_and_says_who_is_on_call(
    runner: CliRunner, database_url: str
) -> None:
    _add(runner, "Ana Ruiz", "--on-call")
    ben = _add(runner, "Ben Gil")
    on = runner.invoke(cli, ["staff", "on-call", "Ben Gil", "--team", "Spine"])
    assert on.exit_code == 0, on.output
    assert on.output.splitlines() == [
        "on call for Spine:",
        "  Ana Ruiz (id 1, nurse)  (not linked: escalations cannot reach them yet)",
        "  Ben Gil (id 2, nurse)  (not linked: escalations cannot reach them yet)",
    ]
    assert _listed(runner)[ben["id"]]["on_call"] is True
    off = runner.invoke(cli, ["staff", "on-call", "1", "--team", "Spine", "--off", "--json"])
    assert [r["name"] for r in json.loads(off.output)] == ["Ben Gil"]
    last = runner.invoke(cli, ["staff", "on-call", "Ben Gil", "--team", "Spine", "--off"])
    assert "nobody is on call for Spine" in last.output
    assert _audited(database_url, "staff.on_call") == [
        {"staff": 2, "team": "Spine", "on_call": True},
        {"staff": 1, "team": "Spine", "on_call": False},
        {"staff": 2, "team": "Spine", "on_call": False},
    ]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (
            ["Ben Gil", "--team", "Cardio"],
            "no active staff member named 'Ben Gil' in team 'Cardio'",
        ),
        (["1", "--team", "Cardio"], "Ben Gil (id 1) is not in team 'Cardio'"),
        (["2", "--team", "Spine"], "Gone Soon (id 2) was removed and cannot be on call"),
        (["9", "--team", "Spine"], "no staff member with id 9"),
        (["Ben Gil", "--team", "Nowhere"], "no team named 'Nowhere'"),
    ],
)
def test_on_call_for_someone_not_in_the_team_is_refused(
    runner: CliRunner, args: list[str], complaint: str
) -> None:
    assert runner.invoke(cli, ["team", "add", "Cardio", "--chat-id", "-100600"]).exit_code == 0
    _add(runner, "Ben Gil")
    _add(runner, "Gone Soon")
    assert runner.invoke(cli, ["staff", "remove", "Gone Soon"]).exit_code == 0
    result = runner.invoke(cli, ["staff", "on-call", *args])
    assert result.exit_code == 1
    assert complaint in result.output
