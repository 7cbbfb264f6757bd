"""What every page of the console is given: the services, where the console is reached,
and this process's limit on sign-in attempts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2_fragments.starlette import Jinja2Blocks

from bot.context import Services
from bot.delivery.files import TelegramFiles
from bot.inbox.webhook import WebhookInbox
from bot.staff.sign_in.attempts import SignInAttempts

TEMPLATES = Jinja2Blocks(directory=Path(__file__).parent / "templates")
STATIC = Path(__file__).parent / "static"


def clock_time(instant: datetime, zone: str) -> str:
    """A time as the team reads it on the ward's clock."""
    return f"{instant.astimezone(ZoneInfo(zone)):%H:%M}"


def day_time(instant: datetime, zone: str) -> str:
    """A day and time as the team reads it, e.g. "7 Dec 09:12"."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local.day} {local:%b %H:%M}"


TEMPLATES.env.filters["clock_time"] = clock_time
TEMPLATES.env.filters["day_time"] = day_time


@dataclass
class Console:
    services: Services
    # Where people reach the console, e.g. https://eras.example-hospital.org
    console_url: str
    health: Callable[[], Awaitable[dict[str, Any]]]
    # Webhook mode: where Telegram posts, and what stores its updates.
    webhook: WebhookInbox | None = None
    webhook_path: str | None = None
    # Whoever sends it as a bearer token sees /health's details (a monitor).
    health_token: str | None = None
    # ERAS_AUDIT_KEY: checks the audit log's checkpoints on SQLite (the audit page).
    audit_key: bytes | None = None
    # ERAS_TELEGRAM_LOGIN: the bot's token, which checks Telegram's sign-in (None: off).
    telegram_login_token: str | None = field(default=None, repr=False)
    # Where the photos and voice messages patients sent are fetched from (Telegram, through
    # the bot); None: a console without a bot token shows that they exist, not what they are.
    files: TelegramFiles | None = None
    attempts: SignInAttempts = field(init=False)

    def __post_init__(self) -> None:
        self.attempts = SignInAttempts(self.services.clock.monotonic)

    @property
    def over_https(self) -> bool:
        return self.console_url.startswith("https://")
