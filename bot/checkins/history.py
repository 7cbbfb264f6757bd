"""A check-in's past as scoring takes it: the protocol version it is judged by, and the
episode's earlier answered or missed check-ins."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.protocols.catalogue import ProtocolCatalogue
from db.models import Answer, CheckIn, CheckInStatus
from flows import AnswerValue, CheckInKind, PastCheckIn, Protocol

# The check-ins the schedule asked for: only these count as missed when unanswered.
PLANNED_KINDS = (CheckInKind.SCHEDULED, CheckInKind.EVENING)


async def protocol_of(
    session: AsyncSession, catalogue: ProtocolCatalogue, row: CheckIn
) -> Protocol:
    """The protocol ``row`` is judged by: its stored version's, parsed once per process and
    then not read again (the version's row carries the protocol's whole text)."""
    return await catalogue.of_id(session, row.protocol_version_id)


# Built once: read for every reply.
_EARLIER = (
    select(CheckIn.id, CheckIn.pod, CheckIn.kind, CheckIn.status)
    .where(
        CheckIn.episode_id == bindparam("episode_id"),
        CheckIn.id != bindparam("id"),
        CheckIn.due_at <= bindparam("due_at"),
        (CheckIn.status == CheckInStatus.COMPLETED)
        | (
            (CheckIn.status == CheckInStatus.MISSED)
            & CheckIn.kind.in_(PLANNED_KINDS)
            & CheckIn.sent_at.is_not(None)  # never asked is not unanswered
        ),
    )
    .order_by(CheckIn.due_at, CheckIn.id)
)
_ANSWERS = select(Answer.checkin_id, Answer.item_id, Answer.value).where(
    Answer.checkin_id.in_(bindparam("ids", expanding=True))
)


async def history(session: AsyncSession, row: CheckIn) -> list[PastCheckIn]:
    """The episode's earlier answered or missed check-ins, oldest first (a check-in the bot
    never sent is not the patient's miss)."""
    # Columns, not rows: the past is read for every reply, and nothing of it is changed.
    earlier = (
        await session.execute(
            _EARLIER, {"episode_id": row.episode_id, "id": row.id, "due_at": row.due_at}
        )
    ).all()
    answers: dict[int, dict[str, AnswerValue]] = {}
    if earlier:
        for checkin_id, item_id, value in await session.execute(
            _ANSWERS, {"ids": [c.id for c in earlier]}
        ):
            answers.setdefault(checkin_id, {})[item_id] = value
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
