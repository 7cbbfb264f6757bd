"""A note for the record, on a patient or on one of their alerts: written by a nurse or
surgeon of the patient's team (Telegram's **Add note** button, or the console), kept with
the record, never sent to the patient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.actions import Notice, Presser
from bot.correspondence.authority import REFUSED, audit, writer
from db.models import Alert, CareNote

NOTE_LIMIT = 2000  # characters
ACTION = "note.add"
EMPTY = "Nothing was noted: the note was empty."
TOO_LONG = f"Nothing was noted: a note is at most {NOTE_LIMIT} characters."


async def add_note(
    session: AsyncSession,
    episode_id: int | None,
    who: Presser,
    words: str,
    now: datetime,
    *,
    alert_id: int | None = None,
) -> Notice:
    by = await writer(session, episode_id, who)
    words = words.strip()
    alert = await session.get(Alert, alert_id) if alert_id is not None else None
    wrong_alert = alert_id is not None and (alert is None or alert.episode_id != episode_id)
    if not by.allowed or wrong_alert:
        await audit(session, by, now, ACTION, "refused", episode=episode_id, alert=alert_id)
        return Notice(REFUSED, granted=False)
    assert by.episode is not None and by.staff is not None and by.patient is not None
    problem = EMPTY if not words else TOO_LONG if len(words) > NOTE_LIMIT else None
    if problem is None and by.patient.erased_at is not None:
        problem = f"Nothing was noted: the record of {by.patient.ref} has been erased."
    if problem is not None:
        await audit(session, by, now, ACTION, "refused", episode=episode_id, alert=alert_id)
        return Notice(problem, granted=False)
    note = CareNote(
        episode_id=by.episode.id,
        alert_id=alert_id,
        staff_id=by.staff.id,
        text=words,
        written_at=now,
        origin=by.origin,
    )
    session.add(note)
    await session.flush()
    await audit(session, by, now, ACTION, episode=by.episode.id, alert=alert_id, note=note.id)
    return Notice(f"Noted on the record of {by.patient.ref} (not sent to the patient).", True)
