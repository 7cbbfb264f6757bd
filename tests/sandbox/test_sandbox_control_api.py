"""The sandbox in its own process, driven over its /sandbox HTTP API, as a harness would."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.ext import Application

from bot.sandbox import Blocked, Limits, Sandbox, SandboxServer
from bot.sandbox.serving.client import SandboxClient, SandboxControlError
from bot.settings import Settings
from tests.fixtures.minimal_bot import WELCOME, build_application
from tests.fixtures.telegram import POLL_TIMEOUT

TOKEN = "123456:process-test-token"


@pytest.fixture
def sandbox(served_sandbox: SandboxServer) -> SandboxServer:
    """The control API is HTTP: what these tests are about."""
    return served_sandbox


@pytest.fixture
async def sandbox_process() -> AsyncIterator[dict[str, str]]:
    """``python -m bot.sandbox`` on a free port; yields what it printed (url, token)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "--port",
        "0",
        "--token",
        TOKEN,
        "--json",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), timeout=20)
        yield json.loads(line)
    finally:
        if process.returncode is None:
            process.terminate()
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0


@pytest.fixture
async def remote(sandbox_process: dict[str, str]) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox_process["url"]) as client:
        yield client


@pytest.fixture
async def bot_process(sandbox_process: dict[str, str]) -> AsyncIterator[None]:
    """The real bot polling the sandbox in the other process."""
    settings = Settings(telegram_token=TOKEN, telegram_api_url=sandbox_process["url"])
    application: Application = build_application(settings)  # type: ignore[type-arg]
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(timeout=POLL_TIMEOUT)
    yield
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


async def test_it_says_where_it_listens(
    sandbox_process: dict[str, str], remote: SandboxClient
) -> None:
    info = await remote.info()

    assert info["url"] == sandbox_process["url"]
    assert (info["token"], sandbox_process["token"]) == (TOKEN, TOKEN)


async def test_a_harness_plays_a_patient_and_reads_the_bots_reply(
    remote: SandboxClient, bot_process: None
) -> None:
    alice = await remote.user("Alice", language_code="de")

    await remote.send_text(alice["id"], "/start abc")

    reply = await remote.wait_for_call("sendMessage", chat_id=alice["chat_id"])
    assert reply["outcome"] == "ok"
    assert reply["params"]["text"] == WELCOME
    assert [m["text"] for m in await remote.messages_to(alice["chat_id"])] == [WELCOME]


async def test_a_harness_can_wait_until_the_bot_polls(
    remote: SandboxClient, bot_process: None
) -> None:
    await remote.wait_for_poller(within=20)

    assert (await remote.info())["polling"] is True


async def test_info_says_when_nobody_polls(remote: SandboxClient) -> None:
    assert (await remote.info())["polling"] is False
    with pytest.raises(TimeoutError):
        await remote.wait_for_poller(within=0.1)


async def test_a_harness_injects_a_fault_the_bot_then_meets(
    remote: SandboxClient, bot_process: None
) -> None:
    alice = await remote.user("Alice")
    await remote.fail_next("sendMessage", chat_id=alice["chat_id"], error=Blocked())

    await remote.send_text(alice["id"], "/start")

    refused = await remote.wait_for_call("sendMessage", chat_id=alice["chat_id"])
    assert (refused["status"], refused["fault"]) == (403, "blocked")
    assert refused["description"] == "Forbidden: bot was blocked by the user"


async def test_a_harness_makes_people_the_bot_may_write_to_and_sets_limits(
    sandbox: Sandbox,
) -> None:
    async with SandboxClient(sandbox.url) as client:
        returning = await client.user("Bob", started=True)
        stranger = await client.user("Eve")
        cohort = await client.users(3, "Patient", started=True, language_code="es")
        await client.enforce_limits(True, Limits(overall_per_second=5, overall_burst=5))

    people = sandbox.world.people
    assert people[returning["id"]].started_bots == {sandbox.bot_id}
    assert people[stranger["id"]].started_bots == set()
    assert len({person["id"] for person in cohort}) == 3
    assert all(people[p["id"]].started_bots == {sandbox.bot_id} for p in cohort)
    assert all(people[p["id"]].language_code == "es" for p in cohort)
    assert sandbox.flood.enabled and sandbox.flood.limits.overall_per_second == 5


async def test_waiting_for_a_call_that_never_comes_times_out(remote: SandboxClient) -> None:
    with pytest.raises(TimeoutError):
        await remote.wait_for_call("sendMessage", within=0.2)


async def test_reset_forgets_people_faults_and_calls(remote: SandboxClient) -> None:
    alice = await remote.user("Alice")
    await remote.fail_next("sendMessage", error=Blocked())
    await remote.send_text(alice["id"], "hello")

    await remote.reset()

    with pytest.raises(SandboxControlError, match=f"no user {alice['id']}"):
        await remote.send_text(alice["id"], "hello")
    assert await remote.calls() == []


async def test_bad_control_requests_are_refused_with_a_reason(remote: SandboxClient) -> None:
    with pytest.raises(SandboxControlError, match="unknown fault kind"):
        await remote._call("POST", "/faults", json={"fault": {"kind": "meteor"}})


async def test_the_control_api_works_in_process_too(sandbox: Sandbox) -> None:
    async with SandboxClient(sandbox.url) as client:
        ward = await client.group("Ward 5")
        nurse = await client.user("Nina")
        await client._call("POST", f"/groups/{ward['id']}/members", json={"user_id": nurse["id"]})

    assert sandbox.world.groups[ward["id"]].members == {nurse["id"]}


async def test_a_harness_fetches_the_bytes_of_a_photo_the_bot_sent(
    sandbox: Sandbox, bot: Bot
) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")
    sent = await bot.send_photo(alice.chat_id, b"\x89PNG\r\n\x1a\n chart", filename="c.png")

    async with SandboxClient(sandbox.url) as client:
        data = await client.file_data(sent.photo[-1].file_id)
        with pytest.raises(SandboxControlError, match="no file"):
            await client.file_data("PHOTOS-999999-sandbox")

    assert data == b"\x89PNG\r\n\x1a\n chart"
