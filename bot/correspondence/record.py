"""The messages and notes of one episode, newest first, as the patient's page lists them
(the page is audited as a view of the record; this only reads)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CareNote, Direction, PatientMessage, Staff


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # from_patient, to_patient or note
    content: str  # text, photo or voice
    text: str | None
    by: str | None  # the staff member who wrote it
    alert_id: int | None = None  # a note on an alert
    message_id: int | None = None  # a photo or voice message the patient sent: its row


async def correspondence(session: AsyncSession, episode_id: int) -> list[Entry]:
    messages = list(
        await session.scalars(
            select(PatientMessage)
            .where(PatientMessage.episode_id == episode_id)
            .order_by(PatientMessage.id)
        )
    )
    notes = list(
        await session.scalars(
            select(CareNote).where(CareNote.episode_id == episode_id).order_by(CareNote.id)
        )
    )
    writers = {m.staff_id for m in messages if m.staff_id} | {n.staff_id for n in notes}
    names = dict(
        (await session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(writers))))
        .tuples()
        .all()
    )
    entries = [
        Entry(
            m.sent_at,
            m.direction.value,
            m.content.value,
            m.text,
            names.get(m.staff_id or 0),
            message_id=m.id if m.file_id and m.direction is Direction.FROM_PATIENT else None,
        )
        for m in messages
    ] + [
        Entry(n.written_at, "note", "text", n.text, names.get(n.staff_id), n.alert_id)
        for n in notes
    ]
    # Oldest first, in the order written within one instant; then turned newest first.
    return sorted(entries, key=lambda e: e.at)[::-1]
