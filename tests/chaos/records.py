"""What the database recorded, read once at the end of the run into plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from db.engine import create_engine, session_factory
from db.models import (
    Alert,
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    InboxUpdate,
    OutboxMessage,
    OutboxStatus,
)
from flows import Finding


@dataclass(frozen=True)
class CheckInRecord:
    id: int
    episode_id: int
    status: str
    sent_at: datetime | None
    sent_late: bool
    completed_at: datetime | None


@dataclass(frozen=True)
class AnswerRecord:
    checkin_id: int
    item_id: str
    update_id: int | None
    late: bool


@dataclass(frozen=True)
class AlertRecord:
    id: int
    episode_id: int
    cause: str
    tier: str
    status: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    chat_id: int
    method: str
    purpose: str
    status: str
    payload: dict[str, Any]
    doubtful_sends: int  # sends that may or may not have arrived (each may be a copy)
    telegram_message_id: int | None
    checkin_id: int | None
    alert_id: int | None


@dataclass(frozen=True)
class DatabaseRecord:
    checkins: dict[int, CheckInRecord]
    answers: list[AnswerRecord]
    alerts: list[AlertRecord]
    outbox: list[OutboxRecord]
    episodes: dict[int, str]  # status by episode id
    inbox_unprocessed: int
    inbox_failed: int  # updates whose processing ended with an error noted

    def unfinished_outbox(self) -> int:
        waiting = (OutboxStatus.PENDING.value, OutboxStatus.SENDING.value)
        return sum(1 for m in self.outbox if m.status in waiting)


async def read_database(url: str) -> DatabaseRecord:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            checkins = {
                c.id: CheckInRecord(
                    c.id, c.episode_id, c.status.value, c.sent_at, c.sent_late, c.completed_at
                )
                for c in await session.scalars(select(CheckIn))
            }
            answers = [
                AnswerRecord(a.checkin_id, a.item_id, a.update_id, a.late)
                for a in await session.scalars(select(Answer))
            ]
            alerts = [
                AlertRecord(a.id, a.episode_id, a.cause, a.tier, a.status.value, a.findings)
                for a in await session.scalars(select(Alert).order_by(Alert.id))
            ]
            outbox = [
                OutboxRecord(
                    id=m.id,
                    chat_id=m.chat_id,
                    method=m.method,
                    purpose=m.purpose,
                    status=m.status.value,
                    payload=m.payload,
                    doubtful_sends=m.doubtful_sends,
                    telegram_message_id=m.telegram_message_id,
                    checkin_id=m.checkin_id,
                    alert_id=m.alert_id,
                )
                for m in await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            ]
            episodes = {e.id: e.status.value for e in await session.scalars(select(Episode))}
            unprocessed = await session.scalar(
                select(func.count()).where(InboxUpdate.processed_at.is_(None))
            )
            failed = await session.scalar(
                select(func.count()).where(InboxUpdate.error.is_not(None))
            )
    finally:
        await engine.dispose()
    return DatabaseRecord(
        checkins, answers, alerts, outbox, episodes, int(unprocessed or 0), int(failed or 0)
    )


@dataclass(frozen=True)
class Progress:
    """How far the bot is with the run's work, for knowing when everything has settled."""

    open_checkins: int  # of the run's, not yet completed, missed or cancelled
    outbox_waiting: int
    inbox_unprocessed: int

    @property
    def settled(self) -> bool:
        return not (self.open_checkins or self.outbox_waiting or self.inbox_unprocessed)


async def read_progress(url: str, checkin_ids: list[int]) -> Progress:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            open_checkins = await session.scalar(
                select(func.count()).where(
                    CheckIn.id.in_(checkin_ids),
                    CheckIn.status.not_in(
                        [CheckInStatus.COMPLETED, CheckInStatus.MISSED, CheckInStatus.CANCELLED]
                    ),
                )
            )
            waiting = await session.scalar(
                select(func.count()).where(
                    OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])
                )
            )
            unprocessed = await session.scalar(
                select(func.count()).where(InboxUpdate.processed_at.is_(None))
            )
    finally:
        await engine.dispose()
    return Progress(int(open_checkins or 0), int(waiting or 0), int(unprocessed or 0))
