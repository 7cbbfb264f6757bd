"""``eras doctor`` names what would keep alerts from reaching anyone, team by team, with what
to do; exits 0 when nothing is wrong and 1 otherwise."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.reports.health import beat
from bot.sandbox import SandboxServer
from bot.staff.registry import StaffRole, add_staff, remove_staff
from bot.staff.teams import add_team
from db.engine import create_engine, session_factory
from tests.fixtures.telegram import plain_bot

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "webhook-secret-of-the-ward-0123"


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("ERAS_TELEGRAM_TOKEN", "ERAS_PUBLIC_URL", "ERAS_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ERAS_DATABASE_URL", database_url)
    monkeypatch.setenv("ERAS_EMERGENCY_NUMBER", "112")
    return CliRunner()


async def ward(
    url: str, *, chat_id: int | None = -100, on_call: bool = True, surgeon: bool = True
) -> None:
    """Team 'Spine' with a linked nurse (on call or not) and a linked surgeon (or one who
    has been removed)."""
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            await add_team(
                session, name="Spine", chat_id=chat_id, timezone="UTC", now=NOW, actor="test"
            )
            for name, role, on, telegram_id in (
                ("Ana", StaffRole.NURSE, on_call, 501),
                ("Dr Ruiz", StaffRole.SURGEON, False, 502),
            ):
                await add_staff(
                    session,
                    name=name,
                    role=role,
                    team_name="Spine",
                    on_call=on,
                    telegram_id=telegram_id,
                    now=NOW,
                    actor="test",
                )
            if not surgeon:
                await remove_staff(session, "Dr Ruiz", now=NOW, actor="test")
    finally:
        await engine.dispose()


async def doctor(runner: CliRunner, *args: str) -> Result:
    return await asyncio.to_thread(runner.invoke, cli, ["doctor", *args])


async def findings(runner: CliRunner) -> tuple[int, dict[str, Any]]:
    result = await doctor(runner, "--json")
    return result.exit_code, json.loads(result.output)


async def test_a_healthy_ward_has_nothing_wrong_and_says_what_was_checked(
    runner: CliRunner, database_url: str
) -> None:
    await ward(database_url)
    result = await doctor(runner)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Nothing wrong found.")
    assert "every team has a group chat" in result.output
    assert "Not checked: Telegram: ERAS_TELEGRAM_TOKEN is not set" in result.output


async def test_a_team_without_a_group_is_named_with_the_command_that_fixes_it(
    runner: CliRunner, database_url: str
) -> None:
    await ward(database_url, chat_id=None)
    code, report = await findings(runner)
    assert code == 1 and report["ok"] is False
    [finding] = report["findings"]
    assert (finding["kind"], finding["team"]) == ("no_group", "Spine")
    assert finding["text"].startswith("Team 'Spine' has no group chat")
    assert "`eras team apply FILE`" in finding["text"]


async def test_an_escalation_step_that_tells_nobody_is_reported(
    runner: CliRunner, database_url: str
) -> None:
    await ward(database_url, on_call=False, surgeon=False)
    code, report = await findings(runner)
    assert code == 1
    texts = [f["text"] for f in report["findings"]]
    assert {f["kind"] for f in report["findings"]} == {"chain_reaches_nobody"}
    assert len(texts) == 2
    assert "tell the on-call staff" in texts[0]
    assert "`eras staff on-call NAME --team 'Spine'`" in texts[0]
    assert "tell the surgeon" in texts[1] and "--role surgeon" in texts[1]


async def test_a_missing_emergency_number_is_reported(
    runner: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ward(database_url)
    monkeypatch.delenv("ERAS_EMERGENCY_NUMBER")
    code, report = await findings(runner)
    assert code == 1
    # The default, and the team that has no number of its own either.
    assert [(f["kind"], f["team"]) for f in report["findings"]] == [
        ("no_emergency_number", None),
        ("no_emergency_number", "Spine"),
    ]
    assert "ERAS_EMERGENCY_NUMBER" in report["findings"][0]["text"]
    assert "`eras team set-contact 'Spine' --emergency-number" in report["findings"][1]["text"]


async def test_a_database_not_upgraded_is_reported_and_nothing_else_is_tried(
    runner: CliRunner, empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERAS_DATABASE_URL", empty_database)
    code, report = await findings(runner)
    assert code == 1
    [finding] = report["findings"]
    assert finding["kind"] == "database_not_upgraded"
    assert "run `eras db upgrade` first" in finding["text"]
    assert report["not_checked"] == ["the rest: it needs an upgraded database"]


# What Telegram says: the sandbox over HTTP, since the command builds its own bot.


@pytest.fixture
async def telegram(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Any:
    async with SandboxServer() as sandbox:
        monkeypatch.setenv("ERAS_TELEGRAM_TOKEN", sandbox.token)
        monkeypatch.setenv("ERAS_TELEGRAM_API_URL", sandbox.url)
        yield sandbox


async def test_a_group_the_bot_can_post_in_is_fine(
    runner: CliRunner, database_url: str, telegram: SandboxServer
) -> None:
    await ward(database_url, chat_id=telegram.world.add_group("Spine ward").id)
    code, report = await findings(runner)
    assert code == 0, report
    assert "the bot can post in every team's group" in report["checked"]
    assert report["not_checked"] == []


async def test_a_group_the_bot_was_removed_from_is_reported(
    runner: CliRunner, database_url: str, telegram: SandboxServer
) -> None:
    group = telegram.world.add_group("Spine ward")
    group.removed_bots.add(telegram.bot_id)
    await ward(database_url, chat_id=group.id)
    code, report = await findings(runner)
    assert code == 1
    [finding] = report["findings"]
    assert (finding["kind"], finding["team"]) == ("group_unreachable", "Spine")
    assert "bot was kicked from the group chat" in finding["text"]


async def test_a_group_where_the_bot_may_not_send_is_reported(
    runner: CliRunner, database_url: str, telegram: SandboxServer
) -> None:
    group = telegram.world.add_group("Spine ward")
    group.muted_bots.add(telegram.bot_id)
    await ward(database_url, chat_id=group.id)
    code, report = await findings(runner)
    assert code == 1
    assert [f["kind"] for f in report["findings"]] == ["group_unreachable"]
    assert "the bot may not send messages there" in report["findings"][0]["text"]


async def test_a_group_that_does_not_exist_is_reported(
    runner: CliRunner, database_url: str, telegram: SandboxServer
) -> None:
    await ward(database_url, chat_id=-999)
    code, report = await findings(runner)
    assert code == 1
    assert [f["kind"] for f in report["findings"]] == ["group_unreachable"]
    assert "chat not found" in report["findings"][0]["text"].lower()


async def test_a_webhook_set_while_the_bot_polls_is_reported(
    runner: CliRunner, database_url: str, telegram: SandboxServer
) -> None:
    await ward(database_url, chat_id=telegram.world.add_group("Spine ward").id)
    async with plain_bot(telegram) as bot:
        await bot.set_webhook("https://elsewhere.example/telegram/updates")
    code, report = await findings(runner)
    assert code == 1
    [finding] = report["findings"]
    assert finding["kind"] == "webhook_while_polling"
    assert "https://elsewhere.example/telegram/updates" in finding["text"]


async def test_a_webhook_that_does_not_match_the_public_url_is_reported(
    runner: CliRunner,
    database_url: str,
    telegram: SandboxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await ward(database_url, chat_id=telegram.world.add_group("Spine ward").id)
    monkeypatch.setenv("ERAS_PUBLIC_URL", "https://ward.example")
    monkeypatch.setenv("ERAS_WEBHOOK_SECRET", SECRET)
    code, report = await findings(runner)
    assert code == 1
    [finding] = report["findings"]
    assert finding["kind"] == "webhook_mismatch"
    assert "https://ward.example/telegram/updates" in finding["text"]
    async with plain_bot(telegram) as bot:
        await bot.set_webhook("https://ward.example/telegram/updates", secret_token=SECRET)
    code, report = await findings(runner)
    assert code == 0, report


async def test_a_bot_running_with_a_webhook_is_judged_by_its_own_mode(
    runner: CliRunner, database_url: str, telegram: SandboxServer
) -> None:
    await ward(database_url, chat_id=telegram.world.add_group("Spine ward").id)
    engine = create_engine(database_url)
    try:
        now = datetime.now(UTC)
        await beat(session_factory(engine), "ward-server:7", "webhook", now, now)
    finally:
        await engine.dispose()
    code, report = await findings(runner)  # no ERAS_PUBLIC_URL here
    assert code == 1
    [finding] = report["findings"]
    assert finding["kind"] == "webhook_mismatch"
    assert "ERAS_PUBLIC_URL or ERAS_WEBHOOK_SECRET is not set here" in finding["text"]
