"""Failures a test can inject: "the next sendMessage to this chat answers 429", and so on.

Each fault is a small value; the plan holds rules (method, chat, token, how many times)
and hands out the fault for a call that matches, first rule first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar

from bot.sandbox import errors
from bot.sandbox.errors import ApiError


@dataclass(frozen=True)
class Fault:
    kind: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True)
class ErrorFault(Fault):
    """Answers with a Telegram error instead of doing the method."""

    answer: ClassVar[ApiError]  # what faults without fields always answer

    def error(self) -> ApiError:
        return ApiError(self.answer.status, self.answer.description)


@dataclass(frozen=True)
class TooManyRequests(ErrorFault):
    kind = "too_many_requests"
    retry_after: int = 1

    def error(self) -> ApiError:
        return errors.too_many_requests(self.retry_after)


@dataclass(frozen=True)
class Blocked(ErrorFault):
    kind = "blocked"
    answer = errors.forbidden(errors.BLOCKED)


@dataclass(frozen=True)
class Deactivated(ErrorFault):
    kind = "deactivated"
    answer = errors.forbidden(errors.DEACTIVATED)


@dataclass(frozen=True)
class ChatNotFound(ErrorFault):
    kind = "chat_not_found"
    answer = errors.bad_request(errors.CHAT_NOT_FOUND)


@dataclass(frozen=True)
class CantParseEntities(ErrorFault):
    kind = "cant_parse_entities"
    answer = errors.bad_request(
        "can't parse entities: Can't find end of the entity starting at byte offset 0"
    )


@dataclass(frozen=True)
class NotModified(ErrorFault):
    kind = "not_modified"
    answer = errors.bad_request(errors.NOT_MODIFIED)


@dataclass(frozen=True)
class Migrated(ErrorFault):
    """The group became a supergroup with a new id."""

    kind = "migrated"
    migrate_to_chat_id: int = -1001000000001

    def error(self) -> ApiError:
        return errors.chat_migrated(self.migrate_to_chat_id)


@dataclass(frozen=True)
class Conflict(ErrorFault):
    """Another process is polling with the same token."""

    kind = "conflict"
    answer = errors.conflict(errors.OTHER_POLLER)


@dataclass(frozen=True)
class Unauthorized(ErrorFault):
    """The token was revoked."""

    kind = "unauthorized"
    answer = errors.unauthorized()


@dataclass(frozen=True)
class ServerError(ErrorFault):
    kind = "server_error"
    status: int = 502

    def error(self) -> ApiError:
        phrases = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return ApiError(self.status, phrases.get(self.status, "Server Error"))


@dataclass(frozen=True)
class Slow(Fault):
    """The answer comes ``seconds`` late.

    ``delivered=False``: the server gets to the request only after the delay, so nothing
    happens if the client gave up first. ``delivered=True``: the method is done at once and
    only the answer is late, so a client that times out cannot know it went through.
    """

    kind = "slow"
    seconds: float = 5.0
    delivered: bool = False


@dataclass(frozen=True)
class DropConnection(Fault):
    """The connection closes without an answer (after doing the method if ``delivered``)."""

    kind = "drop_connection"
    delivered: bool = False


@dataclass(frozen=True)
class MalformedBody(Fault):
    """HTTP 200 with a body that is not JSON; the method was done (``delivered``) or not."""

    kind = "malformed_body"
    delivered: bool = True


_KINDS: dict[str, type[Fault]] = {
    cls.kind: cls
    for cls in (
        TooManyRequests,
        Blocked,
        Deactivated,
        ChatNotFound,
        CantParseEntities,
        NotModified,
        Migrated,
        Conflict,
        Unauthorized,
        ServerError,
        Slow,
        DropConnection,
        MalformedBody,
    )
}


def fault_from_json(data: dict[str, Any]) -> Fault:
    """The fault described by ``{"kind": ..., **fields}`` (as ``Fault.to_json`` writes it)."""
    kind = data.get("kind")
    cls = _KINDS.get(str(kind))
    if cls is None:
        raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(_KINDS))}")
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known - {"kind"}
    if unknown:
        raise ValueError(f"fault {kind!r} has no field(s) {', '.join(sorted(unknown))}")
    return cls(**{k: v for k, v in data.items() if k != "kind"})


@dataclass
class Rule:
    fault: Fault
    method: str | None = None  # None: any method
    chat_id: int | str | None = None  # None: any chat
    token: str | None = None  # None: any bot
    times: int | None = 1  # None: until cleared

    def matches(self, token: str, method: str, chat_id: int | str | None) -> bool:
        return (
            (self.method is None or self.method == method)
            and (self.chat_id is None or str(self.chat_id) == str(chat_id))
            and (self.token is None or self.token == token)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "fault": self.fault.to_json(),
            "method": self.method,
            "chat_id": self.chat_id,
            "token": self.token,
            "times": self.times,
        }


class FaultPlan:
    def __init__(self) -> None:
        self.rules: list[Rule] = []

    def add(self, rule: Rule) -> Rule:
        if rule.times is not None and rule.times < 1:
            raise ValueError("times must be at least 1 (or None for every matching call)")
        self.rules.append(rule)
        return rule

    def take(self, token: str, method: str, chat_id: int | str | None) -> Fault | None:
        """The fault for this call, if a rule matches; a rule is spent after ``times`` uses."""
        for rule in self.rules:
            if rule.matches(token, method, chat_id):
                if rule.times is not None:
                    rule.times -= 1
                    if rule.times == 0:
                        self.rules.remove(rule)
                return rule.fault
        return None

    def clear(self) -> None:
        self.rules.clear()
