"""What patients do in their private chat with the bot, handed to the services.

Each handler runs in one unit of work: the update's effect commits with the mark that it
was processed, and a callback's data is only a request, checked against the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
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

from bot.delivery.outbox import enqueue
from bot.i18n import catalogue as words
from bot.i18n import t
from bot.render import patient as render
from bot.services import checkins
from bot.services.context import Services, unit_of_work
from bot.services.enrolment import materialise
from bot.services.first_contact import (
    consent,
    linked_patient,
    pause,
    redeem_link,
    today_pod,
    welcome,
)
from bot.services.patient_chat import PatientChat
from db.models import (
    Answer,
    CheckIn,
    CheckInKind,
    CheckInStatus,
    EpisodeStatus,
    ProtocolVersion,
    Team,
)
from flows import Photo, Progress
from flows import score as assess

Context = ContextTypes.DEFAULT_TYPE


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

    def stranger(self, update: Update, key: str = "start_without_link") -> None:
        """Answer someone who is not (yet) a patient: nothing about any patient in it."""
        user, where = update.effective_user, update.effective_chat
        if where is not None:
            language = words().language(user.language_code if user else None)
            _say(self.session, where.id, t(language, key), self.svc.clock.now())


def _say(session: Any, chat_id: int, text: str, now: Any) -> None:
    """A reply to someone who is not (yet) a patient: nothing about any patient in it."""
    enqueue(session, chat_id=chat_id, now=now, purpose="reply", payload=render.message(text))


async def start(update: Update, context: Context) -> None:
    svc = services(context)
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with unit_of_work(svc, update) as session:
        if session is None:
            return
        now = svc.clock.now()
        language = words().language(user.language_code)
        existing = await _chat_for(session, update, now)
        if existing is not None:
            if existing.episode.status is EpisodeStatus.PAUSED:
                existing.episode.status = EpisodeStatus.ACTIVE
                existing.episode.updated_at = now
                existing.send(
                    render.message(
                        t(existing.language, "resumed", next_checkin=await _next(existing)),
                        render.menu(existing.language),
                    ),
                    "resumed",
                )
            else:
                existing.send(render.message(t(existing.language, "already_enrolled")), "reply")
            return
        token = context.args[0] if context.args else ""
        if not token:
            _say(session, chat.id, t(language, "start_without_link"), now)
            return
        linked = await redeem_link(session, token, user.id, chat.id, now)
        if linked is None:
            _say(session, chat.id, t(language, "start_link_invalid"), now)
            return
        version = await session.get_one(ProtocolVersion, linked.episode.protocol_version_id)
        team = await session.get_one(Team, linked.episode.team_id)
        welcome(linked, svc.catalogue.of(version), team.name, svc.site.emergency_number)


async def _next(chat: PatientChat) -> str:
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    due = await chat.session.scalar(
        select(CheckIn.due_at)
        .where(
            CheckIn.episode_id == chat.episode.id,
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at > chat.now,
        )
        .order_by(CheckIn.due_at)
        .limit(1)
    )
    if due is None:
        return t(chat.language, "no_next_checkin")
    return due.astimezone(ZoneInfo(chat.patient.timezone)).strftime("%Y-%m-%d %H:%M")


async def button(update: Update, context: Context) -> None:
    """Every inline button of the patient's chat: answers, consent, settings, pause."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    async with _turn(update, context) as turn:
        if turn is not None and turn.chat is not None:
            await _pressed(turn.svc, turn.chat, query.data)
    await query.answer()


async def _pressed(svc: Services, chat: PatientChat, data: str) -> None:
    kind, _, rest = data.partition(":")
    lang = chat.language
    if kind == render.ANSWER:
        checkin_id, question_id, choice = [*rest.split(":", 2), "", ""][:3]
        row = await checkins.open_checkin(chat.session, chat.episode.id)
        if row is None or str(row.id) != checkin_id:
            chat.send(render.message(t(lang, "button_stale")), "stale_button")
            return
        reply = "skip" if choice == render.SKIP else choice
        await checkins.answer(chat, svc.catalogue, svc.site, row, reply, question_id=question_id)
    elif kind == render.CONSENT:
        episode_id, _, choice = rest.partition(":")
        if episode_id == str(chat.episode.id):  # a forged episode id is ignored
            version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
            await consent(chat, choice == "yes", svc.catalogue.of(version).schedule.time)
    elif kind == render.SETTINGS and rest == "language":
        chat.send(render.choose_language(lang, await _languages(svc, chat)), "choose_language")
    elif kind == render.SETTINGS and rest == "timezone":
        chat.patient.awaiting = "timezone"
        chat.send(render.message(t(lang, "timezone_prompt")), "timezone_prompt")
    elif kind == render.LANGUAGE and rest in await _languages(svc, chat):
        chat.patient.language = rest
        chat.send(render.message(t(rest, "language_set"), render.menu(rest)), "language_set")
    elif kind == render.PAUSE and rest == "yes":
        await pause(chat)
    elif kind == render.PAUSE:
        chat.send(render.message(t(lang, "stop_cancelled")), "reply")


async def _languages(svc: Services, chat: PatientChat) -> list[str]:
    """Languages both the bot and the patient's protocol speak."""
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    spoken = svc.catalogue.of(version).languages
    return [code for code in words().languages if code in spoken]


async def text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    async with _turn(update, context) as turn:
        if turn is None:
            return
        svc, session, chat = turn.svc, turn.session, turn.chat
        if chat is None:
            turn.stranger(update)
            return
        typed = message.text.strip()
        menu = {
            t(lang, key): key
            for lang in words().languages
            for key in ("menu_concern", "menu_checkin", "menu_status")
        }
        if typed in menu:
            await _menu(svc, chat, menu[typed])
            return
        if chat.patient.awaiting == "timezone":
            await _set_timezone(svc, chat, typed)
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
        if turn is None or turn.chat is None:
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
        if turn is not None and turn.chat is not None:
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
            turn.stranger(update)
            return
        keys = {"help": "menu_concern", "checkin": "menu_checkin", "status": "menu_status"}
        if name in keys:
            await _menu(svc, chat, keys[name])
        elif name == "stop":
            chat.send(render.confirm_pause(chat.language), "confirm_pause")
        elif name == "language":
            chat.send(
                render.choose_language(chat.language, await _languages(svc, chat)),
                "choose_language",
            )
        elif name == "timezone":
            chat.patient.awaiting = "timezone"
            chat.send(render.message(t(chat.language, "timezone_prompt")), "timezone_prompt")


async def _menu(svc: Services, chat: PatientChat, key: str) -> None:
    if chat.episode.status is not EpisodeStatus.ACTIVE:
        chat.send(render.message(t(chat.language, "paused")), "reply")
        return
    if key == "menu_status":
        await _status(svc, chat)
        return
    kind = CheckInKind.CONCERN if key == "menu_concern" else CheckInKind.EXTRA
    await _start_now(svc, chat, kind)


async def _start_now(svc: Services, chat: PatientChat, kind: CheckInKind) -> None:
    """A concern screen, or today's check-in early (or again), starting now."""
    pod = max(0, today_pod(chat.episode, chat.patient, chat.now))
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    protocol = svc.catalogue.of(version)
    row = None
    if kind is CheckInKind.EXTRA:  # today's scheduled one, if it has not gone out yet
        row = await chat.session.scalar(
            select(CheckIn).where(
                CheckIn.episode_id == chat.episode.id,
                CheckIn.status == CheckInStatus.SCHEDULED,
                CheckIn.pod == pod,
                CheckIn.kind == CheckInKind.SCHEDULED,
            )
        )
    if row is None:
        window = timedelta(hours=protocol.schedule.missed_after_hours)
        row = CheckIn(
            episode_id=chat.episode.id,
            protocol_version_id=version.id,
            pod=pod,
            kind=kind,
            status=CheckInStatus.SCHEDULED,
            due_at=chat.now,
            missed_at=chat.now + window,
        )
        chat.session.add(row)
        await chat.session.flush()
    await checkins.begin(chat, svc.catalogue, svc.site, row)


async def _status(svc: Services, chat: PatientChat) -> None:
    latest = await chat.session.scalar(
        select(CheckIn)
        .where(CheckIn.episode_id == chat.episode.id, CheckIn.status == CheckInStatus.COMPLETED)
        .order_by(CheckIn.completed_at.desc())
        .limit(1)
    )
    met = due = 0
    score: str = t(chat.language, "status_no_score")
    if latest is not None:
        _version, protocol = await checkins.protocol_of(chat.session, svc.catalogue, latest)

        answers = {a.item_id: a.value for a in await _answers(chat, latest.id)}
        assessment = assess(
            protocol, latest.pod, answers, await checkins.history(chat.session, latest)
        )
        due = sum(1 for m in assessment.milestones if m.due)
        met = sum(1 for m in assessment.milestones if m.due and m.status is Progress.MET)
        if assessment.recovery_score is not None:
            score = f"{assessment.recovery_score}/100"
    chat.send(
        render.message(
            t(
                chat.language,
                "status",
                pod=today_pod(chat.episode, chat.patient, chat.now),
                met=met,
                due=due,
                score=score,
                next_checkin=await _next(chat),
            )
        ),
        "status",
    )


async def _answers(chat: PatientChat, checkin_id: int) -> list[Answer]:
    return list(await chat.session.scalars(select(Answer).where(Answer.checkin_id == checkin_id)))


async def _set_timezone(svc: Services, chat: PatientChat, typed: str) -> None:
    try:
        ZoneInfo(typed)
    except (ZoneInfoNotFoundError, ValueError):
        chat.send(render.message(t(chat.language, "timezone_unknown", given=typed[:40])), "reply")
        return
    chat.patient.timezone = typed
    chat.patient.awaiting = None
    # The schedule is local time: check-ins not yet sent move with the new zone.
    await chat.session.execute(
        update(CheckIn)
        .where(
            CheckIn.episode_id == chat.episode.id,
            CheckIn.status == CheckInStatus.SCHEDULED,
            CheckIn.due_at > chat.now,
        )
        .values(status=CheckInStatus.CANCELLED)
    )
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    materialise(
        chat.session,
        chat.episode,
        version.id,
        svc.catalogue.of(version),
        typed,
        chat.now,
        only_due_after_now=True,
    )
    await chat.session.flush()
    chat.send(
        render.message(
            t(chat.language, "timezone_set", timezone=typed, next_checkin=await _next(chat))
        ),
        "timezone_set",
    )


def add_patient_handlers(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(
        CommandHandler(
            ["help", "checkin", "status", "stop", "language", "timezone"], command, filters=private
        )
    )
    application.add_handler(CallbackQueryHandler(button, pattern=r"^[acslp]:"))
    application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE & private, edited))
    application.add_handler(MessageHandler(filters.TEXT & private & ~filters.COMMAND, text))
    application.add_handler(MessageHandler(filters.PHOTO & private, photo))
