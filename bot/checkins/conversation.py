"""A check-in as the patient lives it: the questions, the answers, advice, and the end.

The clinic (what to ask next, what an answer means, which rules fire) is ``flows``; this
module records it and decides what to send. A red flag is acted on the moment it is
answered: an emergency ends the check-in with its advice, the one message of that outcome;
urgent advice goes out before the next question. While an emergency alert is open, nothing
the patient is told says otherwise (``outcome_text``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.raising import emergency_open, raise_alert
from bot.checkins import concern
from bot.checkins.standing import update_standing
from bot.context import PatientChat, Site
from bot.delivery.outbox import (
    PRIORITY_ALERT,
    PRIORITY_CONVERSATION,
    PRIORITY_EMERGENCY,
    PRIORITY_ROUTINE,
)
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
    reply_texts,
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
    if chat.patient.awaiting == concern.AWAITING_WORDS:  # a newer check-in ends that wait
        chat.patient.awaiting = None
    late = row.kind is CheckInKind.SCHEDULED and chat.now - row.due_at > LATE_AFTER
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
        t(chat.language, intro, pod=row.pod, number=site.emergency_number)
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
    _version, protocol = await protocol_of(chat.session, catalogue, row)
    state = CheckInState.from_json(row.conversation or {})
    current = next_question(protocol, state, chat.language)
    row.reminded_at = chat.now
    if current is None:
        return
    reminder = render.message(t(chat.language, "reminder"))
    chat.send(reminder, "checkin_reminder", priority=PRIORITY_ROUTINE, checkin_id=row.id)
    question = render.question(row.id, current)
    chat.send(question, "checkin_question", priority=PRIORITY_ROUTINE, checkin_id=row.id)


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
    if any(f.tier is Tier.RED_EMERGENCY for f in result.new_findings):
        # Nothing more is asked: the emergency advice is the one message of this outcome.
        await _close(chat, protocol, row, result.state, result.assessment)
        chat.send(
            render.message(
                advice_text(protocol, Tier.RED_EMERGENCY, chat.language, site.emergency_number)
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
        await _advise_now(chat, site, protocol, row, [f.rule for f in urgent])
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


def _priority(tier: Tier) -> int:
    """Red advice jumps the queue, even at the end of a check-in."""
    return PRIORITY_ALERT if tier.rank >= Tier.RED_URGENT.rank else PRIORITY_CONVERSATION


async def outcome_text(
    chat: PatientChat,
    site: Site,
    protocol: Protocol,
    tier: Tier,
    rules: Sequence[str] = (),
    *,
    advised: bool = False,
) -> str:
    """What the patient is told of an outcome of ``tier`` whose findings are ``rules``: the
    protocol's advice, each rule's self-care line and, for amber and red_urgent, the safety
    net; unless an emergency alert is still open, whose advice then stands (never "on track"
    after it). ``advised``: the tier's advice was given earlier in this check-in (not twice)."""
    if tier is not Tier.RED_EMERGENCY and await emergency_open(chat.session, chat.episode.id):
        return t(chat.language, "emergency_stands", number=site.emergency_number)
    lines = reply_texts(protocol, tier, rules, chat.language, site.emergency_number)
    if advised:  # the advice and its safety net were told mid-check-in: only self-care is new
        told = set(reply_texts(protocol, tier, (), chat.language, site.emergency_number))
        lines = tuple(line for line in lines if line not in told)
    return "\n\n".join(lines)


def _advice_key(row: CheckIn) -> str:
    return f"advice:{row.id}:{Tier.RED_URGENT.value}"


async def _advised(chat: PatientChat, row: CheckIn) -> bool:
    """Urgent advice was already given in this check-in."""
    key = _advice_key(row)
    found = await chat.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
    )
    return found is not None


async def _advise_now(
    chat: PatientChat, site: Site, protocol: Protocol, row: CheckIn, rules: Sequence[str]
) -> None:
    """The urgent advice jumps the queue, once per check-in (a second urgent finding later
    in the check-in adds nothing to it)."""
    if await _advised(chat, row):
        return
    key = _advice_key(row)
    chat.send(
        render.message(await outcome_text(chat, site, protocol, Tier.RED_URGENT, rules)),
        "advice_red_urgent",
        priority=PRIORITY_ALERT,
        checkin_id=row.id,
        dedupe_key=key,
    )


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
    advised = assessment.tier is Tier.RED_URGENT and await _advised(chat, row)
    told = await outcome_text(chat, site, protocol, assessment.tier, rules, advised=advised)
    lines.extend([told] if told else [])
    lines.extend(education_texts(protocol, row.pod, lang))
    chat.send(
        render.message("\n\n".join(lines)),
        "checkin_summary",
        priority=_priority(assessment.tier),
        checkin_id=row.id,
    )


async def _complete_concern(
    chat: PatientChat,
    site: Site,
    protocol: Protocol,
    row: CheckIn,
    state: CheckInState,
    assessment: Assessment,
) -> None:
    """A concern is never answered "on track": the team gets its card whatever was found,
    the patient is told when to expect a reply, then asked for their own words."""
    assessment = concern.with_concern_finding(assessment, row.pod)
    await _close(chat, protocol, row, state, assessment)
    if concern.nothing_fired(assessment) and not await emergency_open(
        chat.session, chat.episode.id
    ):
        within = concern.expected_within(protocol.escalation.amber)
        text = t(chat.language, "concern_reply", within=within, number=site.emergency_number)
    else:
        rules = [f.rule for f in assessment.findings]
        advised = assessment.tier is Tier.RED_URGENT and await _advised(chat, row)
        text = await outcome_text(chat, site, protocol, assessment.tier, rules, advised=advised)
    if text:  # nothing new when the urgent advice was told during the screen
        chat.send(
            render.message(text),
            "checkin_summary",
            priority=_priority(assessment.tier),
            checkin_id=row.id,
        )
    concern.ask_for_words(chat, row, protocol.wordings[chat.language].skip)
