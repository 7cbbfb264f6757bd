"""Telegram's error answers, worded as the real Bot API words them, in one place.

python-telegram-bot chooses its exception from the HTTP status and the ``parameters``
(``retry_after``, ``migrate_to_chat_id``), and shows the ``description`` as the message, so
all three must match what Telegram sends.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Bot API method failed; becomes ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> ApiError:
    return ApiError(403, f"Forbidden: {reason}")


def not_found() -> ApiError:
    # Telegram's answer both to an unknown method and to a malformed token.
    return ApiError(404, "Not Found")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def chat_migrated(new_chat_id: int) -> ApiError:
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


def conflict(reason: str) -> ApiError:
    return ApiError(409, f"Conflict: {reason}")


CHAT_NOT_FOUND = "chat not found"
BLOCKED = "bot was blocked by the user"
KICKED = "bot was kicked from the group chat"
MUTED = "not enough rights to send text messages to the chat"
DEACTIVATED = "user is deactivated"
CANNOT_INITIATE = "bot can't initiate conversation with a user"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
OTHER_POLLER = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the "
    "webhook first"
)
