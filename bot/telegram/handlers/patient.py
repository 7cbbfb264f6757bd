"""What patients do in their private chat with the bot, handed to the services.

Each handler runs in one unit of work: the update's effect commits with the mark that it
was processed, and a callback's data is only a request, checked against the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.access import link_guard
from bot.access.refusals import refuse
from bot.access.tokens import purpose_of
from bot.checkins import conversation as checkins
from bot.context import PatientChat, Services
from bot.delivery.outbox import enqueue
from bot.i18n import catalogue as words
from bot.i18n import t
from bot.patients import requests
from bot.patients.first_contact import (
    consent,
    linked_patient,
    pause,
    redeem_link,
    welcome,
)
from bot.staff.registry import link_staff
from bot.telegram.callbacks import (
    PATIENT_PRESSES,
    SKIP,
    AnswerChoice,
    ChooseLanguage,
    Consent,
    PatientPress,
    Pause,
    Setting,
    SettingsChoice,
    decode,
)
from bot.telegram.handlers.unit_of_work import answer_button, unit_of_work
from bot.telegram.render import patient as render
from db.audit import append
from db.models import (
    EpisodeStatus,
    ProtocolVersion,
    Team,
    TokenPurpose,
)
from flows import Photo

Context = ContextTypes.DEFAULT_TYPE


def is_patient_press(data: object) -> bool:
    """Data of a button in a patient's chat (anything else is for other handlers, or refused)."""
    return isinstance(data, str) and isinstance(decode(data), PATIENT_PRESSES)


def services(context: Context) -> Services:
    found: Services = context.application.bot_data["services"]
    return found


async def _chat_for(session: Any, update: Update, now: Any) -> PatientChat | None:
    user = update.effective_user
    if user is None:
        return None
    linked = await linked_patient(session, user.id)
    if linked is None:
        return None
    patient, episode = linked
    return PatientChat(session, patient, episode, now)


@asynccontextmanager
async def _turn(update: Update, context: Context) -> AsyncIterator[Turn | None]:
    """The update's unit of work, with the patient behind it (None: already handled)."""
    svc = services(context)
    async with unit_of_work(svc, update) as session:
        if session is None:
            yield None
            return
        yield Turn(svc, session, await _chat_for(session, update, svc.clock.now()))


@dataclass
class Turn:
    svc: Services
    session: AsyncSession
    chat: PatientChat | None  # None: this Telegram account is no enrolled patient

    async def stranger(
        self, update: Update, action: str, key: str | None = "start_without_link"
    ) -> None:
        """Refuse someone who is not (yet) a patient, audited; the answer (``key``, None for
        none) says nothing about any patient."""
        user = update.effective_user
        await refuse(
            self.session,
            telegram_user_id=user.id if user else None,
            action=action,
            now=self.svc.clock.now(),
        )
        if key is not None:
            self.tell(update, key)

    def tell(self, update: Update, key: str) -> None:
        """Answer someone who is not (yet) a patient: nothing about any patient in it."""
        user, where = update.effective_user, update.effective_chat
        if where is not None:
            language = words().language(user.language_code if user else None)
            _say(self.session, where.id, t(language, key), self.svc.clock.now())


def _say(session: Any, chat_id: int, text: str, now: Any) -> None:
    """A reply to someone who is not (yet) a patient: nothing about any patient in it."""
    enqueue(session, chat_id=chat_id, now=now, purpose="reply", payload=render.message(text))


async def start(update: Update, context: Context) -> None:
    """/start with the personal link, /start again before consenting, or /start to resume."""
    user, where = update.effective_user, update.effective_chat
    if user is None or where is None:
        return
    token = context.args[0] if context.args else ""
    async with _turn(update, context) as turn:
        if turn is None:
            return
        svc, chat, now = turn.svc, turn.chat, turn.svc.clock.now()
        if chat is not None and chat.episode.status is EpisodeStatus.PAUSED:
            chat.episode.status = EpisodeStatus.ACTIVE
            chat.episode.updated_at = now
            upcoming = await requests.next_checkin(chat)
            chat.send(
                render.message(
                    t(chat.language, "resumed", next_checkin=upcoming), render.menu(chat.language)
                ),
                "resumed",
            )
            return
        if chat is not None and chat.episode.status is EpisodeStatus.ACTIVE:
            chat.send(render.message(t(chat.language, "already_enrolled")), "reply")
            return
        if chat is not None and not token:  # linked but not consented yet: ask again
            await _welcome(svc, chat)
            return
        if not token:
            await turn.stranger(update, "patient.start")
            return
        if await link_guard.over_limit(turn.session, user.id, now):
            await link_guard.refused_unchecked(turn.session, now)
            turn.tell(update, "start_link_throttled")  # audited as throttled
            return
        if chat is None and await purpose_of(turn.session, token) is TokenPurpose.STAFF:
            member = await link_staff(turn.session, token, user.id, now)
            if member is not None:
                language = words().language(user.language_code)
                _say(turn.session, where.id, t(language, "staff_linked", name=member.name), now)
                return
        linked = await redeem_link(
            turn.session, token, user.id, where.id, now, linked_to=chat.patient if chat else None
        )
        if linked is None:
            link_guard.failed(turn.session, user.id, now)
            turn.tell(update, "start_link_invalid")  # the link attempt is audited
            return
        await _welcome(svc, linked)


async def _welcome(svc: Services, chat: PatientChat) -> None:
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    team = await chat.session.get_one(Team, chat.episode.team_id)
    welcome(chat, svc.catalogue.of(version), team.name, svc.site.emergency_number)


async def button(update: Update, context: Context) -> None:
    """Every inline button of the patient's chat: answers, consent, settings, pause."""
    query = update.callback_query
    press = decode(query.data or "") if query is not None else None
    if query is None or not isinstance(press, PATIENT_PRESSES):
        return  # no data (which the pattern lets through): refused by the fallback
    where = query.message.chat.id if query.message is not None else None
    async with _turn(update, context) as turn:
        # A patient's buttons live in their own chat with the bot: a press anywhere else
        # (a forged message in a group) is no answer of theirs.
        if turn is not None and (turn.chat is None or where != turn.chat.patient.telegram_chat_id):
            await turn.stranger(update, "patient.button", key=None)
        elif turn is not None and turn.chat is not None:
            await _pressed(turn.svc, turn.chat, press)
    await answer_button(query)


async def _refused(chat: PatientChat, action: str, reason: str) -> None:
    """A patient's press that names something not theirs (or no longer open), audited."""
    await append(
        chat.session,
        at=chat.now,
        actor_kind="patient",
        actor_ref=f"patient:{chat.patient.ref}",
        action=action,
        outcome="refused",
        origin="telegram",
        patient_ref=chat.patient.ref,
        detail={"reason": reason},
    )


async def _pressed(svc: Services, chat: PatientChat, press: PatientPress) -> None:
    lang = chat.language
    match press:
        case AnswerChoice(checkin_id, question_id, choice):
            row = await checkins.open_checkin(chat.session, chat.episode.id)
            if row is None or row.id != checkin_id:  # an old question, or not theirs
                await _refused(chat, "patient.answer", "not the open check-in")
                chat.send(render.message(t(lang, "button_stale")), "stale_button")
                return
            reply = "skip" if choice is SKIP else choice
            await checkins.answer(
                chat, svc.catalogue, svc.site, row, reply, question_id=question_id
            )
        case Consent(episode_id, agreed):
            if episode_id != chat.episode.id:  # a forged episode id changes nothing
                await _refused(chat, "patient.consent", "not their episode")
                return
            version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
            await consent(chat, agreed, svc.catalogue.of(version).schedule.time)
        case SettingsChoice(Setting.LANGUAGE):
            chat.send(
                render.choose_language(lang, await requests.languages(svc, chat)),
                "choose_language",
            )
        case SettingsChoice(Setting.TIMEZONE):
            chat.patient.awaiting = "timezone"
            chat.send(render.message(t(lang, "timezone_prompt")), "timezone_prompt")
        case ChooseLanguage(language) if language in await requests.languages(svc, chat):
            chat.patient.language = language
            chat.send(
                render.message(t(language, "language_set"), render.menu(language)), "language_set"
            )
        case Pause(confirmed=True):
            await pause(chat)
        case Pause(confirmed=False):
            chat.send(render.message(t(lang, "stop_cancelled")), "reply")


async def text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    async with _turn(update, context) as turn:
        if turn is None:
            return
        svc, session, chat = turn.svc, turn.session, turn.chat
        if chat is None:
            await turn.stranger(update, "patient.text")
            return
        typed = message.text.strip()
        menu = {
            t(lang, key): key
            for lang in words().languages
            for key in ("menu_concern", "menu_checkin", "menu_status")
        }
        if typed in menu:
            await requests.menu(svc, chat, menu[typed])
            return
        if chat.patient.awaiting == "timezone":
            await requests.set_timezone(svc, chat, typed)
            return
        row = await checkins.open_checkin(session, chat.episode.id)
        if row is None:
            chat.send(render.message(t(chat.language, "not_in_checkin")), "reply")
            return
        await checkins.answer(chat, svc.catalogue, svc.site, row, typed, update_id=update.update_id)


async def photo(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.photo:
        return
    async with _turn(update, context) as turn:
        if turn is None:
            return
        if turn.chat is None:
            await turn.stranger(update, "patient.photo")
            return
        svc, chat = turn.svc, turn.chat
        row = await checkins.open_checkin(turn.session, chat.episode.id)
        if row is None:
            chat.send(render.message(t(chat.language, "photo_not_asked")), "reply")
            return
        reply = Photo(file_id=message.photo[-1].file_id)
        await checkins.answer(chat, svc.catalogue, svc.site, row, reply, update_id=update.update_id)


async def edited(update: Update, context: Context) -> None:
    """An edit never changes a recorded answer; the patient is told how to report a change."""
    async with _turn(update, context) as turn:
        if turn is not None and turn.chat is None:
            await turn.stranger(update, "patient.edit", key=None)
        elif turn is not None and turn.chat is not None:
            turn.chat.send(render.message(t(turn.chat.language, "edited_ignored")), "reply")


async def command(update: Update, context: Context) -> None:
    """/help, /checkin, /status, /stop, /language, /timezone."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    name = message.text.split()[0].lstrip("/").split("@")[0].lower()
    async with _turn(update, context) as turn:
        if turn is None:
            return
        svc, chat = turn.svc, turn.chat
        if chat is None:
            await turn.stranger(update, "patient.command")
            return
        keys = {"help": "menu_concern", "checkin": "menu_checkin", "status": "menu_status"}
        if name in keys:
            await requests.menu(svc, chat, keys[name])
        elif name == "stop":
            chat.send(render.confirm_pause(chat.language), "confirm_pause")
        elif name == "language":
            chat.send(
                render.choose_language(chat.language, await requests.languages(svc, chat)),
                "choose_language",
            )
        elif name == "timezone":
            chat.patient.awaiting = "timezone"
            chat.send(render.message(t(chat.language, "timezone_prompt")), "timezone_prompt")


def add_patient_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(
        CommandHandler(
            ["help", "checkin", "status", "stop", "language", "timezone"], command, filters=private
        )
    )
    application.add_handler(CallbackQueryHandler(button, pattern=is_patient_press))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, edited))
    application.add_handler(MessageHandler(filters.TEXT & private & ~filters.COMMAND, text))
    application.add_handler(MessageHandler(filters.PHOTO & private, photo))
