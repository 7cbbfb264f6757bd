"""Read a Bot API request's parameters the way Telegram does.

Clients send them as a query string, a JSON body, a url-encoded form (what
python-telegram-bot sends) or multipart (when a file is uploaded). In the form encodings
every value is a string, and objects such as ``reply_markup`` are JSON inside it; the
Bot API knows each parameter's type, so the sandbox does too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from bot.sandbox.errors import bad_request

INTEGERS = frozenset(
    {
        "from_chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "max_connections",
        "message_thread_id",
        "user_id",
        "cache_time",
    }
)
OBJECTS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "allowed_updates",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "menu_button",
        "link_preview_options",
    }
)
BOOLEANS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "show_caption_above_media",
        "has_spoiler",
        "disable_content_type_detection",
    }
)
_CHAT_ID = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class Upload:
    """A file sent in a multipart request."""

    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"<upload {self.filename} {len(self.data)} bytes>"


async def read_params(request: web.Request) -> dict[str, Any]:
    """An HTTP request's parameters, typed; raises ApiError 400 on what Telegram would
    refuse."""
    body = await request.read() if request.method == "POST" and request.can_read_body else b""
    return parse_params(request.query, request.headers.get("Content-Type", ""), body)


def parse_params(query: Mapping[str, str], content_type: str, body: bytes) -> dict[str, Any]:
    """The parameters of a request with this query string and body, typed (whatever
    carried it: HTTP, or a test's in-process transport)."""
    raw: dict[str, Any] = dict(query)
    if body:
        kind = content_type.split(";")[0].strip().lower()
        if kind == "application/json":
            raw.update(_json_body(body))
        elif kind == "multipart/form-data":
            raw.update(_multipart(content_type, body))
        else:
            raw.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {name: typed(name, value) for name, value in raw.items()}


def _json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except ValueError:
        raise bad_request("can't parse JSON object") from None
    if not isinstance(parsed, dict):
        raise bad_request("the request body must be a JSON object")
    return parsed


def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
    values: dict[str, Any] = {}
    whole = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not whole.is_multipart():
        raise bad_request("can't parse multipart/form-data")
    for part in whole.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        filename = part.get_filename()
        if filename:
            content = str(part.get("Content-Type", "application/octet-stream"))
            values[name] = Upload(filename, content, data)
        else:
            values[name] = data.decode(part.get_content_charset() or "utf-8", "replace")
    return values


def typed(name: str, value: Any) -> Any:
    """One parameter as the method expects it."""
    if not isinstance(value, str):
        return value
    if name in ("chat_id", "from_chat_id"):
        return int(value) if _CHAT_ID.match(value) else value
    if name in INTEGERS:
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None
    if name in BOOLEANS:
        return value.lower() in ("true", "1")
    if name in OBJECTS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None
    return value


def chat_id_of(params: dict[str, Any]) -> int | str | None:
    value = params.get("chat_id")
    return value if isinstance(value, int | str) else None


def require(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, ""):
        raise bad_request(f"{name} is empty")
    return params[name]


def require_int(params: dict[str, Any], name: str) -> int:
    value = require(params, name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise bad_request(f"invalid {name} specified")
    return value
