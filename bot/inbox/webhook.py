"""Webhook mode: Telegram posts each update; it is stored before Telegram hears 200.

A request without Telegram's secret-token header, or with a wrong one, is refused with 403
and stores nothing: the URL alone is not a credential. A stored update is processed by the
inbox as in polling mode, so a crash after the 200 loses nothing, and Telegram's retry of
an update it is unsure about is stored once and has one effect. The HTTP side (reading the
request within ``MAX_BODY``) is the console's application, ``bot/web``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.inbox.updates import store_updates, update_id_of
from bot.json_body import NotJson, read_json

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024  # Telegram's updates are far smaller; anything bigger is not one


def webhook_path(webhook_url: str) -> str:
    """The path Telegram posts to, from its URL (a proxy may add a host and port)."""
    return urlsplit(webhook_url).path or "/"


class WebhookInbox:
    """What a post from Telegram gets: an HTTP status, and the update stored when it is 200."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        secret: str,
        stored: Callable[[], None],
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._secret = secret.encode()
        self._stored = stored

    def admits(self, given_secret: str) -> bool:
        if hmac.compare_digest(given_secret.encode(), self._secret):
            return True
        log.warning("webhook: refused a request without the right secret token")
        return False

    async def receive(self, body: bytes) -> tuple[int, str]:
        """Store one update sent by someone ``admits`` let in; (status, reason)."""
        try:
            update = read_json(body)
        except NotJson as refused:
            return 400, str(refused)
        if not isinstance(update, dict) or update_id_of(update) is None:
            return 400, "not a Telegram update"
        await store_updates(self._sessions, [update], self._clock)
        self._stored()
        return 200, ""
