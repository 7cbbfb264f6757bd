"""The Bot API's HTTP surface, for clients other than python-telegram-bot too."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot

from bot.sandbox import Sandbox, SandboxServer, ServerError, TooManyRequests
from tests.fixtures.telegram import plain_bot


@pytest.fixture
def sandbox(served_sandbox: SandboxServer) -> SandboxServer:
    """The Bot API over HTTP is what these tests are about."""
    return served_sandbox


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sandbox.url}/bot{sandbox.token}") as client:
        yield client


async def test_a_json_body_and_a_query_string_are_both_understood(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}

    by_json = await http.post(
        "/sendMessage", json={"chat_id": alice.chat_id, "text": "Fever?", "reply_markup": keyboard}
    )
    by_query = await http.get("/sendMessage", params={"chat_id": str(alice.chat_id), "text": "Hi"})

    assert by_json.json()["result"]["reply_markup"] == keyboard
    assert by_query.json()["ok"] is True
    assert sandbox.ledger.calls("sendMessage")[0].params["reply_markup"] == keyboard


async def test_an_unknown_method_is_not_found_like_at_telegram(http: httpx.AsyncClient) -> None:
    answer = await http.post("/sendHologram")

    assert answer.status_code == 404
    assert answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_a_malformed_token_is_not_found(sandbox: Sandbox) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{sandbox.url}/botnot-a-token/getMe")

    assert answer.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_an_injected_429_has_telegrams_exact_shape(
    sandbox: Sandbox, http: httpx.AsyncClient
) -> None:
    sandbox.fail_next("getMe", error=TooManyRequests(retry_after=5))

    answer = await http.post("/getMe")

    assert answer.status_code == 429
    assert answer.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 5",
        "parameters": {"retry_after": 5},
    }


async def test_a_fault_lasts_as_many_calls_as_asked(sandbox: Sandbox, bot: Bot) -> None:
    sandbox.fail_next(error=ServerError(503), times=2)  # any method
    before = sandbox.ledger.last_seq

    outcomes = []
    for _ in range(3):
        try:
            await bot.get_me()
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    assert outcomes == ["NetworkError", "NetworkError", "ok"]
    assert [c.status for c in sandbox.ledger.calls(after=before)] == [503, 503, 200]


async def test_a_bad_json_body_is_a_bad_request(http: httpx.AsyncClient) -> None:
    answer = await http.post(
        "/sendMessage", content=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert answer.status_code == 400
    assert json.loads(answer.content)["description"].startswith("Bad Request:")


async def test_bots_sharing_a_sandbox_each_have_their_own_updates(sandbox: Sandbox) -> None:
    other_token = "424242:another-bot"
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "to the sandbox bot")
    sandbox.send_text(alice, "to the other bot", bot=other_token)

    async with (
        plain_bot(sandbox) as ours,
        Bot(
            other_token, base_url=f"{sandbox.url}/bot", base_file_url=f"{sandbox.url}/file/bot"
        ) as theirs,
    ):
        mine = [u.message.text for u in await ours.get_updates()]
        other = [u.message.text for u in await theirs.get_updates()]
        other_me = await theirs.get_me()

    assert (mine, other) == (["to the sandbox bot"], ["to the other bot"])
    assert other_me.id == 424242 and other_me.username != sandbox.bot_username
    assert {c.token for c in sandbox.ledger.calls("getUpdates")} == {sandbox.token, other_token}
