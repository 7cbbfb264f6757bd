"""``eras doctor``'s examination: the schema first (the rest needs its tables), then the
setup in the database, then, given a bot, what Telegram says."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import TelegramError

from bot.reports.doctor import schema, setup, telegram
from bot.reports.doctor.findings import Misconfiguration
from db.models import Heartbeat


@dataclass(frozen=True)
class TelegramSide:
    """How to ask Telegram, and where the settings say its webhook should point (None when
    ERAS_PUBLIC_URL or ERAS_WEBHOOK_SECRET is missing)."""

    bot: Bot
    webhook_url: str | None


@dataclass
class Examination:
    findings: list[Misconfiguration] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.findings,
            "findings": [f.to_json() for f in self.findings],
            "checked": self.checked,
            "not_checked": self.not_checked,
        }


def examine_schema(database_url: str) -> Examination:
    """The first part, outside any event loop (the revision is read in its own)."""
    found = schema.schema_findings(database_url)
    return Examination(found, [schema.CHECKED])


async def examine(
    sessions: async_sessionmaker[AsyncSession],
    examination: Examination,
    *,
    emergency_number: str | None,
    telegram_side: TelegramSide | None,
) -> Examination:
    """Add the setup's and Telegram's findings to ``examination`` (its schema upgraded)."""
    async with sessions() as session:
        examination.findings += await setup.setup_findings(session, emergency_number)
        examination.checked += setup.CHECKED
        groups = await telegram.groups_to_check(session)
        mode = await session.scalar(
            select(Heartbeat.mode).order_by(Heartbeat.last_tick_at.desc()).limit(1)
        )
    if telegram_side is None:
        examination.not_checked += telegram.CHECKED
        return examination
    # How the bot runs: as its newest process says, else as the settings suggest.
    webhook = mode == "webhook" if mode else telegram_side.webhook_url is not None
    if webhook and telegram_side.webhook_url is None:
        examination.findings.append(
            Misconfiguration(
                "webhook_mismatch",
                "The bot runs with --webhook, but ERAS_PUBLIC_URL or ERAS_WEBHOOK_SECRET is "
                "not set here: set both as the running bot has them.",
            )
        )
    expected = telegram_side.webhook_url if webhook else None
    bot = telegram_side.bot
    try:
        await bot.initialize()  # asks Telegram who the bot is
    except TelegramError as error:
        examination.findings.append(telegram.unreachable(error))
        return examination
    try:
        examination.findings += await telegram.telegram_findings(
            bot, groups, expected, check_webhook=not webhook or expected is not None
        )
    finally:
        await bot.shutdown()
    examination.checked += telegram.CHECKED
    return examination
