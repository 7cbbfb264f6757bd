"""The sandbox's own HTTP API under ``/sandbox``, for a test or harness in another process.

It offers what the Python API offers: make people and groups, play what they do, inject
faults, switch flood limits, read the ledger (optionally waiting for a call) and reset.
Answers are JSON; a request the sandbox cannot follow gets 400 ``{"error": "..."}``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.sandbox.api.faults import Rule, fault_from_json
from bot.sandbox.api.ledger import Call
from bot.sandbox.api.limits import Limits
from bot.sandbox.errors import ApiError
from bot.sandbox.service import Sandbox
from bot.sandbox.world.state import JSON, Group, Person

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
MAX_WAIT = 60.0  # seconds a GET /sandbox/calls?wait=... may hold the request
MAX_BATCH = 10_000  # users made by one POST /sandbox/users/batch


class ControlError(Exception):
    """The request cannot be followed; the message says why."""


class ControlApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sb = sandbox

    def routes(self) -> list[web.RouteDef]:
        def route(method: str, path: str, action: Callable[..., Any]) -> web.RouteDef:
            return web.route(method, f"/sandbox{path}", self._json(action))

        return [
            route("GET", "", self.info),
            route("GET", "/", self.info),
            route("POST", "/reset", self.reset),
            route("POST", "/users", self.add_user),
            route("POST", "/users/batch", self.add_users),
            route("POST", "/users/{user_id}/block", self.block),
            route("POST", "/users/{user_id}/unblock", self.unblock),
            route("POST", "/users/{user_id}/delete", self.delete_account),
            route("POST", "/groups", self.add_group),
            route("POST", "/groups/{chat_id}/members", self.add_member),
            route("POST", "/groups/{chat_id}/migrate", self.migrate),
            route("POST", "/send_text", self.send_text),
            route("POST", "/press_button", self.press_button),
            route("POST", "/send_photo", self.send_photo),
            route("POST", "/edit_text", self.edit_text),
            route("POST", "/updates", self.raw_update),
            route("GET", "/updates", self.pending_updates),
            route("GET", "/calls", self.calls),
            route("GET", "/messages", self.messages),
            route("GET", "/files/{file_id}", self.file),
            route("GET", "/faults", self.list_faults),
            route("POST", "/faults", self.add_fault),
            route("DELETE", "/faults", self.clear_faults),
            route("PUT", "/limits", self.set_limits),
        ]

    def _json(self, action: Callable[..., Any]) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            try:
                body = await request.json() if request.can_read_body else {}
                if not isinstance(body, dict):
                    raise ControlError("the request body must be a JSON object")
                result = action(Request(request, body, self.sb))
                if isinstance(result, Awaitable):
                    result = await result
            except (ControlError, ApiError, ValueError, TypeError, KeyError) as exc:
                return web.json_response({"error": _reason(exc)}, status=400)
            return web.json_response(result, dumps=_dumps)

        return handler

    # -------------------------------------------------------------------------------------

    def info(self, r: Request) -> JSON:
        return {
            "url": self.sb.url,
            "token": self.sb.token,
            "bot_id": self.sb.bot_id,
            "bot_username": self.sb.bot_username,
            "limits_enforced": self.sb.flood.enabled,
            "last_seq": self.sb.ledger.last_seq,
            # A long poll is recorded in the ledger when it ends; this says one is waiting.
            "polling": self.sb.bot(r.bot).updates.poll_waiting.is_set(),
        }

    def reset(self, r: Request) -> JSON:
        self.sb.reset()
        return {"reset": True}

    def add_user(self, r: Request) -> JSON:
        details = {k: v for k, v in r.body.items() if k not in {"first_name", "started", "token"}}
        name = str(r.body.get("first_name") or "Patient")
        started = bool(r.body.get("started"))
        return _person(self.sb.user(name, started=started, bot=r.bot, **details))

    def add_users(self, r: Request) -> JSON:
        """``count`` users alike in one request (a harness playing a whole cohort)."""
        count = int(r.body.get("count", 1))
        if not 0 < count <= MAX_BATCH:
            raise ControlError(f"count must be between 1 and {MAX_BATCH}")
        body = {k: v for k, v in r.body.items() if k != "count"}
        return {"users": [self.add_user(Request(r.request, body, self.sb)) for _ in range(count)]}

    def block(self, r: Request) -> JSON:
        return {"update": self.sb.block_bot(r.person("user_id"), bot=r.bot)}

    def unblock(self, r: Request) -> JSON:
        return {"update": self.sb.unblock_bot(r.person("user_id"), bot=r.bot)}

    def delete_account(self, r: Request) -> JSON:
        self.sb.delete_account(r.person("user_id"))
        return {"deleted": True}

    def add_group(self, r: Request) -> JSON:
        members = tuple(r.person_by_id(int(i)) for i in r.body.get("members", []))
        group = self.sb.group(
            str(r.body.get("title") or "Care team"),
            members=members,
            supergroup=bool(r.body.get("supergroup")),
        )
        return _group(group)

    def add_member(self, r: Request) -> JSON:
        group = r.group()
        group.add_member(r.person("user_id"))
        return _group(group)

    def migrate(self, r: Request) -> JSON:
        return _group(self.sb.migrate_to_supergroup(r.group(), bot=r.bot))

    def send_text(self, r: Request) -> JSON:
        update = self.sb.send_text(
            r.person("user_id"),
            str(r.body["text"]),
            chat=r.chat(),
            reply_to=r.body.get("reply_to_message_id"),
            bot=r.bot,
        )
        return {"update": update}

    def press_button(self, r: Request) -> JSON:
        update = self.sb.press_button(
            r.person("user_id"),
            int(r.body["message_id"]),
            r.body.get("data"),
            text=r.body.get("text"),
            chat=r.chat(),
            bot=r.bot,
        )
        return {"update": update}

    def send_photo(self, r: Request) -> JSON:
        try:
            data = base64.b64decode(str(r.body["data_base64"]), validate=True)
        except binascii.Error as exc:
            raise ControlError("data_base64 is not base64") from exc
        update = self.sb.send_photo(
            r.person("user_id"), data, caption=r.body.get("caption"), chat=r.chat(), bot=r.bot
        )
        return {"update": update}

    def edit_text(self, r: Request) -> JSON:
        sender = r.person("user_id")
        chat = r.chat() or sender
        message = {"chat": {"id": chat.id}, "message_id": int(r.body["message_id"])}
        return {"update": self.sb.edit_text(sender, message, str(r.body["text"]), bot=r.bot)}

    def raw_update(self, r: Request) -> JSON:
        update = r.body.get("update")
        if not isinstance(update, dict):
            raise ControlError('expected {"update": {...}}')
        return {"update": self.sb.send_raw_update(update, bot=r.bot)}

    def pending_updates(self, r: Request) -> JSON:
        return {"updates": self.sb.pending_updates(bot=r.bot)}

    async def calls(self, r: Request) -> JSON:
        """Recorded calls after ``after``; with ``wait`` (seconds), wait for at least one."""
        method, token = r.query.get("method"), r.query.get("token")
        chat_id = r.optional_int("chat_id")
        after = r.optional_int("after") or 0
        wait = min(float(r.query.get("wait", 0)), MAX_WAIT)
        ledger = self.sb.ledger

        def wanted(call: Call) -> bool:
            return (
                (method is None or call.method == method)
                and (chat_id is None or call.chat_id == chat_id)
                and (token is None or call.token == token)
            )

        if wait > 0:
            with contextlib.suppress(TimeoutError):
                await ledger.wait_for(wanted, wait, after)
        found = [c.to_json() for c in ledger.calls(after=after) if wanted(c)]
        return {"calls": found, "last_seq": ledger.last_seq}

    def messages(self, r: Request) -> JSON:
        chat_id = r.optional_int("chat_id")
        if chat_id is None:
            raise ControlError("chat_id is required")
        return {"messages": self.sb.messages_to(chat_id, bot=r.bot)}

    def file(self, r: Request) -> JSON:
        file_id = r.request.match_info["file_id"]
        stored = self.sb.world.files.get(file_id)
        if stored is None:
            raise ControlError(f"no file {file_id}")
        return {
            "file_id": stored.file_id,
            "file_name": stored.file_name,
            "mime_type": stored.mime_type,
            "data_base64": base64.b64encode(stored.data).decode(),
        }

    def list_faults(self, r: Request) -> JSON:
        return {"faults": [rule.to_json() for rule in self.sb.faults.rules]}

    def add_fault(self, r: Request) -> JSON:
        body = r.body
        rule = Rule(
            fault=fault_from_json(dict(body.get("fault") or {})),
            method=body.get("method"),
            chat_id=body.get("chat_id"),
            token=body.get("token"),
            times=body.get("times", 1),
        )
        return self.sb.faults.add(rule).to_json()

    def clear_faults(self, r: Request) -> JSON:
        self.sb.clear_faults()
        return {"faults": []}

    def set_limits(self, r: Request) -> JSON:
        limits = Limits(**r.body["limits"]) if r.body.get("limits") else None
        self.sb.enforce_limits(bool(r.body.get("enabled", True)), limits)
        return {"enabled": self.sb.flood.enabled, "limits": asdict(self.sb.flood.limits)}


class Request:
    """A control request: its JSON body, its query, and lookups of people and chats."""

    def __init__(self, request: web.Request, body: JSON, sandbox: Sandbox) -> None:
        self.request = request
        self.body = body
        self.query = request.query
        self.sb = sandbox

    @property
    def bot(self) -> str | None:
        return self.body.get("token") or self.query.get("token")

    def optional_int(self, name: str) -> int | None:
        value = self.query.get(name)
        return None if value in (None, "") else int(value)

    def _id(self, name: str) -> int:
        value = self.request.match_info.get(name, self.body.get(name))
        if value is None:
            raise ControlError(f"{name} is required")
        return int(value)

    def person(self, name: str) -> Person:
        return self.person_by_id(self._id(name))

    def person_by_id(self, person_id: int) -> Person:
        person = self.sb.world.people.get(person_id)
        if person is None:
            raise ControlError(f"no user {person_id}")
        return person

    def group(self) -> Group:
        chat_id = self._id("chat_id")
        group = self.sb.world.groups.get(chat_id)
        if group is None:
            raise ControlError(f"no group {chat_id}")
        return group

    def chat(self) -> Person | Group | None:
        """The chat named by ``chat_id`` in the body, if any (default: the private chat)."""
        if self.body.get("chat_id") is None:
            return None
        return self.sb.world.chat(int(self.body["chat_id"]))


def _person(person: Person) -> JSON:
    return {**person.as_user(), "chat_id": person.chat_id}


def _group(group: Group) -> JSON:
    return {**group.as_chat(), "members": sorted(group.members)}


def _reason(exc: Exception) -> str:
    if isinstance(exc, ApiError):
        return exc.description
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    return str(exc)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=repr)
