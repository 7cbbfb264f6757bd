"""A check-in as the patient lives it: the questions, the answers, advice, and the end.

The clinic (what to ask next, what an answer means, which rules fire) is ``flows``; this
module records it and decides what to send. A red flag is acted on the moment it is
answered: an emergency ends the check-in with its advice, the one message of that outcome;
urgent advice goes out before the next question. While an emergency alert is open, nothing
the patient is told says otherwise (``advice.outcome_text``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.raising import emergency_open, raise_alert
from bot.checkins import advice, concern
from bot.checkins.history import PLANNED_KINDS, history, last_answered_day, protocol_of
from bot.checkins.standing import update_standing
from bot.context import PatientChat, Site
from bot.delivery.outbox import PRIORITY_CONVERSATION, PRIORITY_EMERGENCY, PRIORITY_ROUTINE
from bot.i18n import t
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render import patient as render
from db.models import Answer, CheckIn, CheckInStatus
from flows import (
    Assessment,
    CheckInKind,
    CheckInState,
    Finding,
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
INTRO_KEYS = {
    CheckInKind.SCHEDULED: "checkin_intro",
    CheckInKind.EVENING: "checkin_intro_evening",
    CheckInKind.CONCERN: "checkin_intro_concern",
    CheckInKind.EXTRA: "checkin_intro_extra",
}


async def begin(chat: PatientChat, catalogue: ProtocolCatalogue, site: Site, row: CheckIn) -> None:
    """Send a check-in's first question (saying so when it comes late)."""
    protocol = await protocol_of(chat.session, catalogue, row)
    past = await history(chat.session, row)
    last_day = await last_answered_day(chat.session, row, chat.patient.timezone)
    state = start(protocol, row.pod, row.kind, past, last_day)
    if chat.patient.awaiting == concern.AWAITING_WORDS:  # a newer check-in ends that wait
        chat.patient.awaiting = None
    # Due while the follow-up was paused or on hold: it waited for the patient, it is not late.
    waited_since = max(row.due_at, chat.episode.resumed_at or row.due_at)
    late = row.kind is CheckInKind.SCHEDULED and chat.now - waited_since > LATE_AFTER
    intro = "checkin_intro_late" if late else INTRO_KEYS[row.kind]
    row.status = CheckInStatus.SENT
    row.sent_at = chat.now
    row.sent_late = late
    row.conversation = state.to_json()
    first = next_question(protocol, state, chat.language)
    # A check-in the schedule started waits behind replies and red flags when Telegram's
    # limit binds; one the patient asked for (/help, /checkin) is an answer to them.
    priority = PRIORITY_ROUTINE if row.kind in PLANNED_KINDS else PRIORITY_CONVERSATION
    intro_message = render.message(
        t(
            chat.language,
            intro,
            pod=row.pod,
            number=await chat.emergency_number(site.emergency_number),
        )
    )
    chat.send(intro_message, "checkin_intro", priority=priority, checkin_id=row.id)
    if first is None:  # nothing to ask on this day
        assessment = score(protocol, row.pod, state.answers, past, row.kind.value)
        await _complete(chat, site, protocol, row, state, assessment)
        return
    question = render.question(row.id, first)
    chat.send(question, "checkin_question", priority=priority, checkin_id=row.id)


async def open_checkin(session: AsyncSession, episode_id: int, now: datetime) -> CheckIn | None:
    """The check-in the patient's typed replies answer: the newest one started, if it is not
    finished; else the newest unfinished one still inside its window (a concern screen
    finished in between does not close today's check-in).

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
    if newest is None:
        return None
    if newest.completed_at is None and newest.conversation is not None:
        return newest
    earlier: CheckIn | None = await session.scalar(
        select(CheckIn)
        .where(_unfinished_in_window(episode_id, now))
        .order_by(CheckIn.sent_at.desc(), CheckIn.id.desc())
        .limit(1)
        .with_for_update()
    )
    return earlier


async def answerable(
    session: AsyncSession, episode_id: int, checkin_id: int, now: datetime
) -> CheckIn | None:
    """The check-in a button names, if its patient may still answer it: the open one, or
    another unfinished one still inside its window (a reminder's buttons, or an earlier
    message's, while a concern screen came in between)."""
    row = await open_checkin(session, episode_id, now)
    if row is not None and row.id == checkin_id:
        return row
    named: CheckIn | None = await session.scalar(
        select(CheckIn)
        .where(_unfinished_in_window(episode_id, now), CheckIn.id == checkin_id)
        .with_for_update()
    )
    return named


def _unfinished_in_window(episode_id: int, now: datetime) -> ColumnElement[bool]:
    return and_(
        CheckIn.episode_id == episode_id,
        CheckIn.status.in_((CheckInStatus.SENT, CheckInStatus.IN_PROGRESS)),
        CheckIn.completed_at.is_(None),
        CheckIn.conversation.is_not(None),
        CheckIn.missed_at > now,
    )


async def remind(chat: PatientChat, catalogue: ProtocolCatalogue, row: CheckIn) -> None:
    protocol = await protocol_of(chat.session, catalogue, row)
    state = CheckInState.from_json(row.conversation or {})
    current = next_question(protocol, state, chat.language)
    row.reminded_at = chat.now
    if current is None:
        return
    reminder = render.message(t(chat.language, "reminder"))
    chat.send(reminder, "checkin_reminder", priority=PRIORITY_ROUTINE, checkin_id=row.id)
    question = render.question(row.id, current)
    chat.send(question, "checkin_question", priority=PRIORITY_ROUTINE, checkin_id=row.id)


async def show_current(chat: PatientChat, catalogue: ProtocolCatalogue, row: CheckIn) -> bool:
    """The question ``row`` waits on, to whoever asks (a caregiver); False: none waits."""
    protocol = await protocol_of(chat.session, catalogue, row)
    current = next_question(protocol, CheckInState.from_json(row.conversation or {}), chat.language)
    if current is None:
        return False
    chat.send(render.question(row.id, current), "checkin_question", checkin_id=row.id)
    return True


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
    protocol = await protocol_of(chat.session, catalogue, row)
    state = CheckInState.from_json(row.conversation or {})
    current = next_question(protocol, state, chat.language)
    if current is None:
        return
    if question_id is not None and question_id != current.id:
        chat.send(render.message(t(chat.language, "button_stale")), "stale_button")
        return
    if chat.patient.awaiting == concern.AWAITING_WORDS:  # back to a check-in: words not coming
        chat.patient.awaiting = None
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
                    protocol_version_id=row.protocol_version_id,
                    item_id=item_id,
                    value=value,
                    answered_at=chat.now,
                    late=late,
                    update_id=update_id,
                    answered_by=chat.answered_by,
                )
            )
    row.conversation = result.state.to_json()
    if row.status is CheckInStatus.SENT:
        row.status = CheckInStatus.IN_PROGRESS
    if any(f.tier is Tier.RED_EMERGENCY for f in result.new_findings):
        # Nothing more is asked: the emergency advice is the one message of this outcome.
        await _close(chat, protocol, row, result.state, result.assessment)
        await chat.warn(
            render.message(
                advice_text(
                    protocol,
                    Tier.RED_EMERGENCY,
                    chat.language,
                    await chat.emergency_number(site.emergency_number),
                )
                + "\n\n"
                + t(chat.language, "emergency_checkin_closed")
            ),
            "advice_red_emergency",
            priority=PRIORITY_EMERGENCY,
            checkin_id=row.id,
        )
        return
    if result.next_question is None:  # the last answer: the summary carries its advice
        await _complete(chat, site, protocol, row, result.state, result.assessment)
        return
    urgent = [f for f in result.new_findings if f.tier is Tier.RED_URGENT]
    if urgent:
        await advice.advise_now(chat, site, protocol, row, [f.rule for f in urgent])
        await raise_alert(
            chat.session,
            episode_id=row.episode_id,
            now=chat.now,
            cause="rule",
            findings=[_record(f, row) for f in urgent],
            checkin_id=row.id,
            protocol_version_id=row.protocol_version_id,
        )
    chat.send(render.question(row.id, result.next_question), "checkin_question", checkin_id=row.id)


def _record(finding: Finding, row: CheckIn) -> Finding:
    """The finding as the alert keeps it: with the check-in it came from."""
    return replace(finding, checkin_id=row.id)


async def _close(
    chat: PatientChat, protocol: Protocol, row: CheckIn, state: CheckInState, assessment: Assessment
) -> None:
    """Close the check-in with the assessment of its answers, and raise what it found."""
    row.status = CheckInStatus.COMPLETED
    row.completed_at = chat.now
    row.tier = assessment.tier
    row.recovery_score = assessment.recovery_score
    await update_standing(chat.session, row.episode_id)
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


async def _complete(
    chat: PatientChat,
    site: Site,
    protocol: Protocol,
    row: CheckIn,
    state: CheckInState,
    assessment: Assessment,
) -> None:
    """Close the check-in after its last answer, and tell the patient what comes of it."""
    if row.kind is CheckInKind.CONCERN:
        await _complete_concern(chat, site, protocol, row, state, assessment)
        return
    await _close(chat, protocol, row, state, assessment)
    lang = chat.language
    late = chat.now >= row.missed_at
    lines = [t(lang, "checkin_late_answer" if late else "checkin_complete")]
    if assessment.tier is not Tier.GREEN:  # the green advice already says "on track"
        lines.append(t(lang, "checkin_summary_flagged"))
    # Urgent advice given mid-check-in is not told twice: the summary adds the self-care
    # lines and the safety net.
    rules = [f.rule for f in assessment.findings]
    advised = assessment.tier is Tier.RED_URGENT and await advice.advised_already(chat, row)
    told = await advice.outcome_text(chat, site, protocol, assessment.tier, rules, advised=advised)
    lines.extend([told] if told else [])
    lines.extend(education_texts(protocol, row.pod, lang))
    await advice.tell(chat, render.message("\n\n".join(lines)), assessment.tier, row)


async def _complete_concern(
    chat: PatientChat,
    site: Site,
    protocol: Protocol,
    row: CheckIn,
    state: CheckInState,
    assessment: Assessment,
) -> None:
    """A concern is never answered "on track": the team gets its card whatever was found,
    the patient is told when to expect a reply, then asked for their own words (not when
    a caregiver answered the screen: the words are the patient's alone)."""
    assessment = concern.with_concern_finding(assessment, row.pod)
    await _close(chat, protocol, row, state, assessment)
    if concern.nothing_fired(assessment) and not await emergency_open(
        chat.session, chat.episode.id
    ):
        within = concern.expected_within(protocol.escalation.amber)
        number = await chat.emergency_number(site.emergency_number)
        text = t(chat.language, "concern_reply", within=within, number=number)
    else:
        rules = [f.rule for f in assessment.findings]
        advised = assessment.tier is Tier.RED_URGENT and await advice.advised_already(chat, row)
        tier = assessment.tier
        text = await advice.outcome_text(chat, site, protocol, tier, rules, advised=advised)
    if text:  # nothing new when the urgent advice was told during the screen
        await advice.tell(chat, render.message(text), assessment.tier, row)
    if chat.caregiver is None:  # the words are the patient's own; a caregiver gives none
        concern.ask_for_words(chat, row, protocol.wordings[chat.language].skip)
