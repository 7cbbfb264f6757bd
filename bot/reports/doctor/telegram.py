"""What Telegram says of the setup: can the bot post in each team's group, and does the
webhook match the settings? Asked by ``eras doctor`` only, never by a ``/health`` probe."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot, ChatMember
from telegram.error import TelegramError

from bot.reports.doctor.findings import Misconfiguration
from db.models import Team

CHECKED = (
    "the bot can post in every team's group",
    "Telegram's webhook matches how the bot runs",
)

_GONE = (ChatMember.LEFT, ChatMember.BANNED)


async def groups_to_check(session: AsyncSession) -> list[tuple[str, int]]:
    rows = await session.execute(
        select(Team.name, Team.chat_id).where(Team.chat_id.is_not(None)).order_by(Team.name)
    )
    return [(name, chat_id) for name, chat_id in rows]


async def telegram_findings(
    bot: Bot, groups: list[tuple[str, int]], webhook_url: str | None, *, check_webhook: bool = True
) -> list[Misconfiguration]:
    """``webhook_url``: where Telegram should post updates (webhook mode), or None when the
    bot polls. The bot must be initialised (it knows its own id)."""
    try:
        info = await bot.get_webhook_info()
    except TelegramError as error:
        return [unreachable(error)]
    found = _webhook(info.url or None, webhook_url) if check_webhook else []
    for name, chat_id in groups:
        if (problem := await _cannot_post(bot, bot.id, chat_id)) is not None:
            found.append(
                Misconfiguration(
                    "group_unreachable",
                    f"Team {name!r}: the bot cannot post in its group ({problem}), so its "
                    "alert cards reach nobody. Add the bot to the group again and let it send "
                    "messages; if the group moved, give its new id as `chat_id` in the teams "
                    "file and run `eras team apply FILE`.",
                    name,
                )
            )
    return found


def unreachable(error: TelegramError) -> Misconfiguration:
    return Misconfiguration(
        "telegram_unreachable",
        f"Telegram did not answer the bot ({error.message}): check ERAS_TELEGRAM_TOKEN and "
        "ERAS_TELEGRAM_API_URL.",
    )


async def _cannot_post(bot: Bot, bot_id: int, chat_id: int) -> str | None:
    try:
        await bot.get_chat(chat_id)
        member = await bot.get_chat_member(chat_id, bot_id)
    except TelegramError as error:
        return f"Telegram says: {error.message}"
    if member.status in _GONE:
        return f"the bot's status there is {member.status}"
    if member.status == ChatMember.RESTRICTED and not getattr(member, "can_send_messages", True):
        return "the bot may not send messages there"
    return None


def _webhook(actual: str | None, expected: str | None) -> list[Misconfiguration]:
    if expected is None and actual is not None:
        return [
            Misconfiguration(
                "webhook_while_polling",
                f"A webhook is set (to {actual}) while the bot polls for updates: Telegram "
                "refuses to hand updates to a poller then. Run `eras run --webhook` if the "
                "bot should receive them there, or remove the webhook (the Bot API's "
                "deleteWebhook).",
            )
        ]
    if expected is not None and actual != expected:
        where = f"to {actual}" if actual else "nowhere (no webhook is set)"
        return [
            Misconfiguration(
                "webhook_mismatch",
                f"Telegram sends updates {where}, but ERAS_PUBLIC_URL says {expected}: "
                "fix ERAS_PUBLIC_URL and restart `eras run --webhook`, which sets the "
                "webhook.",
            )
        ]
    return []
