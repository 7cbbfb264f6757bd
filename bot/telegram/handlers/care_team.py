"""What staff do in Telegram: alert cards in their team's chat (acknowledge, resolve), and
/alerts, /digest, /patient and /console in a direct chat."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import LinkPreviewOptions, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.alerts.actions import Notice, acknowledge, choose_outcome, resolve
from bot.context import Services
from bot.delivery.outcomes import Outcome, classify
from bot.patients.records.record import send_patient_record
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.staff_digest import send_digests
from bot.staff.sign_in.links import PrivateLink, private_link, queue_link, send_link
from bot.staff.views import send_open_alerts
from bot.telegram.callbacks import (
    ALERT_PRESSES,
    Acknowledge,
    OpenConsole,
    Resolve,
    ResolveGraded,
    ResolveWith,
    decode,
)
from bot.telegram.handlers.unit_of_work import answer_button, unit_of_work

NOT_VALID = "This button is not valid."
OPEN_PRIVATE_CHAT = (
    "I cannot write to you yet: open a private chat with me, press Start, then press "
    "“Open console” again."
)
# A staff view sent to a direct chat: (session, protocols, chat, Telegram user, now).
Send = Callable[[AsyncSession, ProtocolCatalogue, int, int, datetime], Awaitable[None]]


def is_alert_press(data: object) -> bool:
    """Data of an alert card's button (anything else is for other handlers, or refused)."""
    return isinstance(data, str) and isinstance(decode(data), ALERT_PRESSES)


async def alert_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    svc: Services = context.application.bot_data["services"]
    press = decode(query.data)
    text = NOT_VALID
    async with unit_of_work(svc, update) as session:
        if session is not None:
            now = svc.clock.now()
            answer: Notice | None = None
            match press:
                case Acknowledge(alert_id):
                    answer = await acknowledge(session, svc.catalogue, alert_id, user.id, now)
                case Resolve(alert_id):
                    answer = await choose_outcome(session, alert_id, user.id, now, None)
                case ResolveWith(alert_id, outcome):
                    answer = await choose_outcome(session, alert_id, user.id, now, outcome)
                case ResolveGraded(alert_id, outcome, grade):
                    answer = await resolve(session, alert_id, user.id, now, outcome, grade)
            text = answer.text if answer is not None else NOT_VALID
    await answer_button(query, text, alert=True)


def is_console_press(data: object) -> bool:
    return isinstance(data, str) and isinstance(decode(data), OpenConsole)


async def console_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ "Open console" on a card or digest (no LoginUrl): the presser's sign-in link goes to
    their private chat, never to the group. It is sent at once, not through the outbox, so
    that the answer can say whether it arrived; and after the link is committed, so that no
    write waits on Telegram."""
    query, user = update.callback_query, update.effective_user
    if query is None or query.data is None or user is None:
        return
    svc: Services = context.application.bot_data["services"]
    press = decode(query.data)
    link: PrivateLink | None = None
    async with unit_of_work(svc, update) as session:
        if session is not None and isinstance(press, OpenConsole):
            now = svc.clock.now()
            link = await private_link(session, svc.site.console_url, press.team_id, user.id, now)
    text = NOT_VALID if link is None else link.answer
    if link is not None and link.text is not None:
        try:
            quiet = LinkPreviewOptions(is_disabled=True)
            await context.bot.send_message(user.id, link.text, link_preview_options=quiet)
        except TelegramError as error:
            if classify(error).outcome is Outcome.UNREACHABLE:
                text = OPEN_PRIVATE_CHAT
            else:
                async with svc.sessions.begin() as session:
                    queue_link(session, user.id, link.text, svc.clock.now())
                svc.wake_sender()
    await answer_button(query, text, alert=True)


async def _in_direct_chat(update: Update, context: ContextTypes.DEFAULT_TYPE, send: Send) -> None:
    """A staff command in a direct chat, answered there by its use case (which checks who
    may see what, and audits)."""
    user, where = update.effective_user, update.effective_chat
    if user is None or where is None:
        return
    svc: Services = context.application.bot_data["services"]
    async with unit_of_work(svc, update) as session:
        if session is not None:
            await send(session, svc.catalogue, where.id, user.id, svc.clock.now())


async def alerts_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/alerts in a direct chat: the open alerts of my teams (staff only, audited)."""
    await _in_direct_chat(update, context, send_open_alerts)


async def digest_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest in a direct chat: the digest of each of my teams (staff only, audited)."""
    await _in_direct_chat(update, context, send_digests)


async def patient_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/patient REF in a direct chat: the timeline and recovery chart of a patient of my
    teams (staff of the episode's team only, audited)."""
    user, where = update.effective_user, update.effective_chat
    if user is None or where is None:
        return
    svc: Services = context.application.bot_data["services"]
    ref = context.args[0] if context.args else ""
    async with unit_of_work(svc, update) as session:
        if session is not None:
            now = svc.clock.now()
            await send_patient_record(session, svc.catalogue, where.id, user.id, ref, now)


async def console_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/console in a direct chat: a one-time sign-in link to the web console (staff only)."""
    user, where = update.effective_user, update.effective_chat
    if user is None or where is None:
        return
    svc: Services = context.application.bot_data["services"]
    async with unit_of_work(svc, update) as session:
        if session is not None:
            now = svc.clock.now()
            await send_link(session, svc.site.console_url, where.id, user.id, now)


def add_care_team_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    application.add_handler(CallbackQueryHandler(alert_button, pattern=is_alert_press))
    application.add_handler(CallbackQueryHandler(console_button, pattern=is_console_press))
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("alerts", alerts_command, filters=private))
    application.add_handler(CommandHandler("digest", digest_command, filters=private))
    application.add_handler(CommandHandler("patient", patient_command, filters=private))
    application.add_handler(CommandHandler("console", console_command, filters=private))
