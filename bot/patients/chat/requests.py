"""What a patient asks for outside a check-in: a concern, today's check-in, progress,
the next check-in, their language and time zone."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.alerts.raising import emergency_open
from bot.checkins import conversation as checkins
from bot.checkins import history as checkin_history
from bot.context import PatientChat, Services
from bot.i18n import catalogue as words
from bot.i18n import t
from bot.patients.chat.first_contact import today_pod
from bot.patients.enrolment.enrol import replan
from bot.telegram.render import patient as render
from bot.time_zones import is_time_zone, suggest_time_zone
from db.models import Answer, CheckIn, CheckInStatus, EpisodeStatus, ProtocolVersion
from flows import CheckInKind, Progress
from flows import score as assess


async def next_checkin(chat: PatientChat) -> str:
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


async def languages(svc: Services, chat: PatientChat) -> list[str]:
    """Languages both the bot and the patient's protocol speak."""
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    spoken = svc.catalogue.of(version).languages
    return [code for code in words().languages if code in spoken]


async def offer_languages(svc: Services, chat: PatientChat) -> None:
    choices = render.choose_language(chat.language, await languages(svc, chat))
    chat.send(choices, "choose_language")


def ask_timezone(chat: PatientChat) -> None:
    """The next thing they type is taken as their time zone."""
    chat.patient.awaiting = "timezone"
    chat.send(render.message(t(chat.language, "timezone_prompt")), "timezone_prompt")


async def menu(svc: Services, chat: PatientChat, key: str) -> None:
    if chat.episode.status is EpisodeStatus.ON_HOLD:
        emergency = await chat.emergency_number(svc.site.emergency_number)
        chat.send(render.message(t(chat.language, "on_hold", emergency_number=emergency)), "reply")
        return
    if chat.episode.status is not EpisodeStatus.ACTIVE:
        chat.send(render.message(t(chat.language, "paused")), "reply")
        return
    if key == "menu_status":
        await status(svc, chat)
        return
    kind = CheckInKind.CONCERN if key == "menu_concern" else CheckInKind.EXTRA
    await start_now(svc, chat, kind)


async def start_now(svc: Services, chat: PatientChat, kind: CheckInKind) -> None:
    """A concern screen, or today's check-in early (or again), starting now."""
    pod = max(0, today_pod(chat.episode, chat.patient, chat.now))
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    protocol = svc.catalogue.of(version)
    row = None
    if kind is CheckInKind.EXTRA:  # today's scheduled one, if it has not gone out yet
        row = await chat.session.scalar(
            select(CheckIn)
            .where(
                CheckIn.episode_id == chat.episode.id,
                CheckIn.status == CheckInStatus.SCHEDULED,
                CheckIn.pod == pod,
                CheckIn.kind == CheckInKind.SCHEDULED,
            )
            .with_for_update()  # the dispatcher may be sending it this very moment
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


async def status(svc: Services, chat: PatientChat) -> None:
    latest = await chat.session.scalar(
        select(CheckIn)
        .where(CheckIn.episode_id == chat.episode.id, CheckIn.status == CheckInStatus.COMPLETED)
        .order_by(CheckIn.completed_at.desc())
        .limit(1)
    )
    met = due = 0
    score: str = t(chat.language, "status_no_score")
    if latest is not None:
        protocol = await checkin_history.protocol_of(chat.session, svc.catalogue, latest)

        answers = {a.item_id: a.value for a in await answers_of(chat, latest.id)}
        assessment = assess(
            protocol, latest.pod, answers, await checkin_history.history(chat.session, latest)
        )
        due = sum(1 for m in assessment.milestones if m.due)
        met = sum(1 for m in assessment.milestones if m.due and m.status is Progress.MET)
        if assessment.recovery_score is not None:
            score = f"{assessment.recovery_score}/100"
    text = t(
        chat.language,
        "status",
        pod=today_pod(chat.episode, chat.patient, chat.now),
        met=met,
        due=due,
        score=score,
        next_checkin=await next_checkin(chat),
    )
    if await emergency_open(chat.session, chat.episode.id):  # progress comes second to it
        text = (
            t(
                chat.language,
                "emergency_stands",
                number=await chat.emergency_number(svc.site.emergency_number),
            )
            + "\n\n"
            + text
        )
    chat.send(render.message(text), "status")


async def answers_of(chat: PatientChat, checkin_id: int) -> list[Answer]:
    return list(await chat.session.scalars(select(Answer).where(Answer.checkin_id == checkin_id)))


async def set_timezone(svc: Services, chat: PatientChat, typed: str) -> None:
    if not is_time_zone(typed):
        meant = suggest_time_zone(typed[:64])
        text = (
            t(chat.language, "timezone_did_you_mean", given=typed[:40], zone=meant)
            if meant
            else t(chat.language, "timezone_unknown", given=typed[:40])
        )
        chat.send(render.message(text), "reply")
        return
    chat.patient.timezone = typed
    chat.patient.awaiting = None
    # The schedule is local time: check-ins not yet sent move with the new zone.
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    await replan(chat.session, chat.episode, version.id, svc.catalogue.of(version), typed, chat.now)
    chat.send(
        render.message(
            t(chat.language, "timezone_set", timezone=typed, next_checkin=await next_checkin(chat))
        ),
        "timezone_set",
    )
