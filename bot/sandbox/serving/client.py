"""Drive a sandbox that runs in another process, through its ``/sandbox`` HTTP API.

async with SandboxClient("http://127.0.0.1:8081") as sb:
    alice = await sb.user("Alice")
    await sb.send_text(alice["id"], "/start abc")
    reply = await sb.wait_for_call("sendMessage", chat_id=alice["chat_id"])
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Self

import httpx

from bot.sandbox.api.faults import Fault
from bot.sandbox.api.limits import Limits

JSON = dict[str, Any]


class SandboxClient:
    def __init__(self, url: str, *, token: str | None = None) -> None:
        """``token`` picks the bot that people talk to (default: the sandbox's own)."""
        self._http = httpx.AsyncClient(base_url=f"{url.rstrip('/')}/sandbox", timeout=70)
        self.token = token

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> JSON:
        answer = await self._http.request(method, path, **kwargs)
        if answer.status_code != 200:
            is_json = answer.headers.get("content-type", "").startswith("application/json")
            raise SandboxControlError(answer.json().get("error") if is_json else answer.text)
        body: JSON = answer.json()
        return body

    async def _act(self, path: str, body: JSON) -> Any:
        """A person's action, addressed to this client's bot; returns the queued update."""
        if self.token:
            body = {**body, "token": self.token}
        return (await self._call("POST", path, json=body))["update"]

    async def info(self) -> JSON:
        return await self._call("GET", "/")

    async def wait_for_poller(self, within: float = 10.0, every: float = 0.01) -> None:
        """Return once a getUpdates of the bot waits at the sandbox, or TimeoutError."""
        async with asyncio.timeout(within):
            # Another process: there is no event to wait on, only its answers.
            while not (await self._call("GET", "/", params=self._bot()))["polling"]:  # noqa: ASYNC110
                await asyncio.sleep(every)

    def _bot(self) -> dict[str, str]:
        return {"token": self.token} if self.token else {}

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    async def user(self, first_name: str, *, started: bool = False, **details: Any) -> JSON:
        """A new user: ``{"id", "chat_id", "first_name", ...}``; ``started``: one who opened
        the bot's chat earlier, so the bot may write first."""
        body = {"first_name": first_name, "started": started, **details}
        if self.token:
            body["token"] = self.token
        return await self._call("POST", "/users", json=body)

    async def users(
        self, count: int, first_name: str = "Patient", *, started: bool = False, **details: Any
    ) -> list[JSON]:
        """``count`` new users alike, made in one request."""
        body = {"count": count, "first_name": first_name, "started": started, **details}
        if self.token:
            body["token"] = self.token
        made: list[JSON] = (await self._call("POST", "/users/batch", json=body))["users"]
        return made

    async def group(
        self, title: str, members: Sequence[int] = (), supergroup: bool = False
    ) -> JSON:
        body = {"title": title, "members": list(members), "supergroup": supergroup}
        return await self._call("POST", "/groups", json=body)

    async def send_text(
        self, user_id: int, text: str, *, chat_id: int | None = None
    ) -> JSON | None:
        update: JSON | None = await self._act(
            "/send_text", {"user_id": user_id, "text": text, "chat_id": chat_id}
        )
        return update

    async def press_button(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> JSON:
        body = {"user_id": user_id, "message_id": message_id, "data": data, "chat_id": chat_id}
        update: JSON = await self._act("/press_button", body)
        return update

    async def send_photo(
        self, user_id: int, data: bytes, caption: str | None = None
    ) -> JSON | None:
        body = {
            "user_id": user_id,
            "data_base64": base64.b64encode(data).decode(),
            "caption": caption,
        }
        update: JSON | None = await self._act("/send_photo", body)
        return update

    async def send_raw_update(self, update: JSON) -> JSON:
        queued: JSON = await self._act("/updates", {"update": update})
        return queued

    async def calls(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        after: int = 0,
        wait: float = 0,
    ) -> list[JSON]:
        """Recorded Bot API calls (``seq`` > ``after``); ``wait`` seconds for at least one."""
        query: dict[str, Any] = {"after": after, "wait": wait}
        if method:
            query["method"] = method
        if chat_id is not None:
            query["chat_id"] = chat_id
        found: list[JSON] = (await self._call("GET", "/calls", params=query))["calls"]
        return found

    async def wait_for_call(
        self,
        method: str | None = None,
        *,
        chat_id: int | None = None,
        after: int = 0,
        within: float = 10.0,
    ) -> JSON:
        """The first matching call after ``after``, or TimeoutError."""
        found = await self.calls(method, chat_id=chat_id, after=after, wait=within)
        if not found:
            raise TimeoutError(f"no {method or 'Bot API'} call within {within}s")
        return found[0]

    async def messages_to(self, chat_id: int) -> list[JSON]:
        query = {"chat_id": chat_id, **({"token": self.token} if self.token else {})}
        messages: list[JSON] = (await self._call("GET", "/messages", params=query))["messages"]
        return messages

    async def file_data(self, file_id: str) -> bytes:
        """The bytes of a file the bot or a person sent, e.g. a photo's largest size."""
        stored = await self._call("GET", f"/files/{file_id}")
        return base64.b64decode(stored["data_base64"])

    async def fail_next(
        self,
        method: str | None = None,
        *,
        error: Fault,
        chat_id: int | str | None = None,
        times: int | None = 1,
    ) -> JSON:
        body = {"fault": error.to_json(), "method": method, "chat_id": chat_id, "times": times}
        return await self._call("POST", "/faults", json=body)

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/faults")

    async def enforce_limits(self, on: bool = True, limits: Limits | None = None) -> None:
        body: JSON = {"enabled": on}
        if limits is not None:
            body["limits"] = asdict(limits)
        await self._call("PUT", "/limits", json=body)


class SandboxControlError(Exception):
    """The sandbox refused a control request; the message is its reason."""
