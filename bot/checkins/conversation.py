"""A check-in as the patient lives it: the questions, the answers, advice, and the end.

The clinic (what to ask next, what an answer means, which rules fire) is ``flows``; this
module records it and decides what to send. A red flag is acted on the moment it is
answered: emergency advice goes out first, before the next question.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.raising import raise_alert
from bot.context import PatientChat, Site
from bot.delivery.outbox import PRIORITY_ALERT, PRIORITY_EMERGENCY
from bot.i18n import t
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render import patient as render
from db.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    OutboxMessage,
    ProtocolVersion,
)
from flows import (
    AnswerValue,
    Assessment,
    CheckInKind,
    CheckInState,
    Finding,
    PastCheckIn,
    Photo,
    Protocol,
    Tier,
    advice_text,
    education_texts,
    next_question,
    score,
    start,
    take_reply,
)

# A check-in sent more than this after its time says that it is late.
LATE_AFTER = timedelta(minutes=30)
# The check-ins the schedule asked for: only these count as missed when unanswered.
PLANNED_KINDS = (CheckInKind.SCHEDULED, CheckInKind.EVENING)
INTRO_KEYS = {
    CheckInKind.SCHEDULED: "checkin_intro",
    CheckInKind.EVENING: "checkin_intro_evening",
    CheckInKind.CONCERN: "checkin_intro_concern",
    CheckInKind.EXTRA: "checkin_intro_extra",
}


async def protocol_of(
    session: AsyncSession, catalogue: ProtocolCatalogue, row: CheckIn
) -> tuple[ProtocolVersion, Protocol]:
    # The session keeps the version while it lasts: its identity map holds rows only as
    # long as something else does, and this one carries the protocol's whole text, which a
    # batch of check-ins would otherwise read again for each.
    kept: dict[int, ProtocolVersion] = session.info.setdefault("protocol_versions", {})
    version = kept.get(row.protocol_version_id)
    if version is None:
        version = await session.get_one(ProtocolVersion, row.protocol_version_id)
        kept[version.id] = version
    return version, catalogue.of(version)


async def history(session: AsyncSession, row: CheckIn) -> list[PastCheckIn]:
    """The episode's earlier answered or missed check-ins, oldest first (a check-in the bot
    never sent is not the patient's miss)."""
    earlier = list(
        await session.scalars(
            select(CheckIn)
            .where(
                CheckIn.episode_id == row.episode_id,
                CheckIn.id != row.id,
                CheckIn.due_at <= row.due_at,
                (CheckIn.status == CheckInStatus.COMPLETED)
                | (
                    (CheckIn.status == CheckInStatus.MISSED)
                    & CheckIn.kind.in_(PLANNED_KINDS)
                    & CheckIn.sent_at.is_not(None)  # never asked is not unanswered
                ),
            )
            .order_by(CheckIn.due_at, CheckIn.id)
        )
    )
    answers: dict[int, dict[str, AnswerValue]] = {}
    if earlier:
        for answer in await session.scalars(
            select(Answer).where(Answer.checkin_id.in_([c.id for c in earlier]))
        ):
            answers.setdefault(answer.checkin_id, {})[answer.item_id] = answer.value
    return [
        PastCheckIn(pod=c.pod, answers=answers[c.id], kind=c.kind.value)
        if c.id in answers
        else PastCheckIn(pod=c.pod, missed=c.status is CheckInStatus.MISSED, kind=c.kind.value)
        for c in earlier
    ]


async def last_answered_day(session: AsyncSession, row: CheckIn, time_zone: str) -> date | None:
    """The patient's local day of their latest answered check-in before ``row``; None when
    there is none (a question then compares with leaving hospital)."""
    completed = await session.scalar(
        select(func.max(CheckIn.completed_at)).where(
            CheckIn.episode_id == row.episode_id,
            CheckIn.id != row.id,
            CheckIn.status == CheckInStatus.COMPLETED,
        )
    )
    return None if completed is None else completed.astimezone(ZoneInfo(time_zone)).date()


async def begin(chat: PatientChat, catalogue: ProtocolCatalogue, site: Site, row: CheckIn) -> None:
    """Send a check-in's first question (saying so when it comes late)."""
    _version, protocol = await protocol_of(chat.session, catalogue, row)
    past = await history(chat.session, row)
    last_day = await last_answered_day(chat.session, row, chat.patient.timezone)
    state = start(protocol, row.pod, row.kind, past, last_day)
    late = row.kind is CheckInKind.SCHEDULED and chat.now - row.due_at > LATE_AFTER
    intro = "checkin_intro_late" if late else INTRO_KEYS[row.kind]
    row.status = CheckInStatus.SENT
    row.sent_at = chat.now
    row.sent_late = late
    row.conversation = state.to_json()
    first = next_question(protocol, state, chat.language)
    chat.send(
        render.message(t(chat.language, intro, pod=row.pod)), "checkin_intro", checkin_id=row.id
    )
    if first is None:  # nothing to ask on this day
        assessment = score(protocol, row.pod, state.answers, past, row.kind.value)
        await _complete(chat, site, protocol, row, state, assessment)
        return
    chat.send(render.question(row.id, first), "checkin_question", checkin_id=row.id)


async def open_checkin(session: AsyncSession, episode_id: int) -> CheckIn | None:
    """The check-in the patient is answering: the newest one started and not finished.

    A check-in whose window closed is still answerable until a newer one starts: a late
    answer is kept and scored, marked late.
    """
    newest = await session.scalar(
        select(CheckIn)
        .where(CheckIn.episode_id == episode_id, CheckIn.sent_at.is_not(None))
        .order_by(CheckIn.sent_at.desc(), CheckIn.id.desc())
        .limit(1)
        .with_for_update()  # the dispatcher may be closing it this very moment
    )
    if newest is None or newest.completed_at is not None or newest.conversation is None:
        return None
    return newest


async def remind(chat: PatientChat, catalogue: ProtocolCatalogue, row: CheckIn) -> None:
    _version, protocol = await protocol_of(chat.session, catalogue, row)
    state = CheckInState.from_json(row.conversation or {})
    current = next_question(protocol, state, chat.language)
    row.reminded_at = chat.now
    if current is None:
        return
    chat.send(render.message(t(chat.language, "reminder")), "checkin_reminder", checkin_id=row.id)
    chat.send(render.question(row.id, current), "checkin_question", checkin_id=row.id)


async def answer(
    chat: PatientChat,
    catalogue: ProtocolCatalogue,
    site: Site,
    row: CheckIn,
    reply: str | Photo,
    *,
    question_id: str | None = None,
    update_id: int | None = None,
) -> None:
    """Take the patient's reply to the current question of ``row``.

    ``question_id`` comes with a button press: a press for another question than the current
    one (an old message) changes nothing.
    """
    version, protocol = await protocol_of(chat.session, catalogue, row)
    state = CheckInState.from_json(row.conversation or {})
    current = next_question(protocol, state, chat.language)
    if current is None:
        return
    if question_id is not None and question_id != current.id:
        chat.send(render.message(t(chat.language, "button_stale")), "stale_button")
        return
    past = await history(chat.session, row)
    result = take_reply(protocol, state, reply, chat.language, past)
    if result.reask is not None:
        chat.send(render.message(result.reask), "reask", checkin_id=row.id)
        chat.send(render.question(row.id, current), "checkin_question", checkin_id=row.id)
        return
    late = chat.now >= row.missed_at
    for item_id, value in result.state.answers.items():
        if item_id not in state.answers:
            chat.session.add(
                Answer(
                    checkin_id=row.id,
                    protocol_version_id=version.id,
                    item_id=item_id,
                    value=value,
                    answered_at=chat.now,
                    late=late,
                    update_id=update_id,
                )
            )
    row.conversation = result.state.to_json()
    if row.status is CheckInStatus.SENT:
        row.status = CheckInStatus.IN_PROGRESS
    urgent = [f for f in result.new_findings if f.tier in (Tier.RED_URGENT, Tier.RED_EMERGENCY)]
    if urgent:
        top = max((f.tier for f in urgent), key=lambda tier: tier.rank)
        await _advise_now(chat, site, protocol, row, top)
    if result.next_question is None:  # the last answer: its red flags go with all the others
        await _complete(chat, site, protocol, row, result.state, result.assessment)
        return
    if urgent:
        await raise_alert(
            chat.session,
            episode_id=row.episode_id,
            now=chat.now,
            cause="rule",
            findings=[_record(f, row) for f in urgent],
            checkin_id=row.id,
            protocol_version_id=version.id,
        )
    chat.send(render.question(row.id, result.next_question), "checkin_question", checkin_id=row.id)


def _record(finding: Finding, row: CheckIn) -> Finding:
    """The finding as the alert keeps it: with the check-in it came from."""
    return replace(finding, checkin_id=row.id)


async def _advise_now(
    chat: PatientChat, site: Site, protocol: Protocol, row: CheckIn, tier: Tier
) -> None:
    """Emergency advice jumps the queue; each tier's advice is sent once per check-in (a
    second finding of the same tier later in the check-in adds nothing to it)."""
    key = f"advice:{row.id}:{tier.value}"
    if await chat.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
        return
    chat.send(
        render.message(advice_text(protocol, tier, chat.language, site.emergency_number)),
        f"advice_{tier.value}",
        priority=PRIORITY_EMERGENCY if tier is Tier.RED_EMERGENCY else PRIORITY_ALERT,
        checkin_id=row.id,
        dedupe_key=key,
    )


async def _complete(
    chat: PatientChat,
    site: Site,
    protocol: Protocol,
    row: CheckIn,
    state: CheckInState,
    assessment: Assessment,
) -> None:
    """Close the check-in with the assessment of all its answers, and raise what it found."""
    row.status = CheckInStatus.COMPLETED
    row.completed_at = chat.now
    row.tier = assessment.tier
    row.recovery_score = assessment.recovery_score
    photos = [
        str(state.answers[item.id])
        for item in protocol.items
        if item.type == "photo" and item.id in state.answers
    ]
    await raise_alert(
        chat.session,
        episode_id=row.episode_id,
        now=chat.now,
        cause="rule",
        findings=[_record(f, row) for f in assessment.findings],
        checkin_id=row.id,
        protocol_version_id=row.protocol_version_id,
        photos=photos,
        pod=row.pod,
    )
    lang = chat.language
    late = chat.now >= row.missed_at
    lines = [t(lang, "checkin_late_answer" if late else "checkin_complete")]
    if assessment.tier is not Tier.GREEN:  # the green advice already says "on track"
        lines.append(t(lang, "checkin_summary_flagged"))
    # Red advice went out the moment the answer came; it is worth repeating at the end.
    lines.append(advice_text(protocol, assessment.tier, lang, site.emergency_number))
    lines.extend(education_texts(protocol, row.pod, lang))
    chat.send(render.message("\n\n".join(lines)), "checkin_summary", checkin_id=row.id)
