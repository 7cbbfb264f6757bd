"""Accounts that are neither staff nor patients: answered a few times an hour, then not.

One account sending thousands of messages must cost the bot little: past
``ANSWERED_PER_HOUR`` in an hour, its updates are marked done without being handled (no
answer, no audit row each). Every update of such an account is counted, per hour, under a
keyed hash of the account (an HMAC under ERAS_AUDIT_KEY: never its id, which an append-only
log could not erase); when the hour closes the count becomes one audit row. The raw updates
of such accounts are deleted after a few days (``bot/privacy/raw_updates.py``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.inbox.processed import take_update
from db.audit import UNKNOWN_TELEGRAM_USER, append
from db.models import InboxUpdate, Patient, Staff, StrangerTally

ANSWERED_PER_HOUR = 20
HOUR = timedelta(hours=1)


def sender_key(key: bytes, telegram_user_id: int) -> str:
    """The account, keyed: the same account gives the same text, nobody without the key
    can tell which account it is."""
    return hmac.new(
        key, f"telegram-account:{telegram_user_id}".encode(), hashlib.sha256
    ).hexdigest()


def hour_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


async def admit(
    session: AsyncSession, telegram_user_id: int, update_id: int, now: datetime, key: bytes
) -> bool:
    """Whether the update may be handled. An unknown account's update is counted and its
    raw update marked; past the hour's allowance it is marked done here, unhandled."""
    known = or_(
        exists().where(Staff.telegram_user_id == telegram_user_id),
        exists().where(Patient.telegram_user_id == telegram_user_id),
    )
    if await session.scalar(select(known)):
        return True
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.update_id == update_id).values(from_stranger=True)
    )
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    tally = insert(StrangerTally).values(
        hour=hour_of(now), sender=sender_key(key, telegram_user_id), updates=1
    )
    counted = await session.scalar(
        tally.on_conflict_do_update(
            index_elements=["hour", "sender"],
            set_={"updates": StrangerTally.updates + 1},
        ).returning(StrangerTally.updates)
    )
    if (counted or 0) <= ANSWERED_PER_HOUR:
        return True
    await take_update(session, update_id, now)
    return False


async def close_hours(session: AsyncSession, now: datetime) -> int:
    """Each count of an hour that has closed becomes one audit row (appended once: the
    tally is deleted in the same transaction); how many rows."""
    closed = (
        await session.execute(
            delete(StrangerTally)
            .where(StrangerTally.hour < hour_of(now))
            .returning(StrangerTally.hour, StrangerTally.sender, StrangerTally.updates)
        )
    ).all()
    for hour, sender, updates in sorted(closed):
        await append(
            session,
            at=now,
            actor_kind="telegram_user",
            actor_ref=f"{UNKNOWN_TELEGRAM_USER}:{sender[:32]}",
            action="stranger.updates",
            outcome="counted",
            origin="telegram",
            detail={
                "hour": hour.isoformat(),
                "updates": updates,
                "answered": min(updates, ANSWERED_PER_HOUR),
            },
        )
    return len(closed)
