"""Accounts that are neither staff nor patients: answered a few times an hour, then not.

One account sending thousands of messages must cost the bot little: past
``ANSWERED_PER_HOUR`` in an hour, its updates are marked done before they are handled (no
answer, no audit row each), a chat's batch in one transaction. Every update of such an
account is counted, per hour, under a keyed hash of the account (an HMAC under
ERAS_AUDIT_KEY: never its id, which an append-only log could not erase); when the hour
closes the count becomes one audit row. The raw updates of such accounts are deleted after
a few days (``bot/privacy/raw_updates.py``). A link opened by an account that has not
failed one is always handled, whatever the count: a patient's valid link must work.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import UNKNOWN_TELEGRAM_USER, append
from db.models import Caregiver, InboxUpdate, LinkFailure, Patient, Staff, StrangerTally

ANSWERED_PER_HOUR = 20
_KINDS = ("message", "edited_message", "callback_query", "my_chat_member")


def sender_key(key: bytes, telegram_user_id: int) -> str:
    """The account, keyed: the same account gives the same text, nobody without the key
    can tell which account it is."""
    return hmac.new(
        key, f"telegram-account:{telegram_user_id}".encode(), hashlib.sha256
    ).hexdigest()


def hour_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def sender_of(payload: dict[str, Any]) -> int | None:
    """Who sent a raw update, if it says."""
    for kind in _KINDS:
        body = payload.get(kind)
        if isinstance(body, dict) and isinstance(body.get("from"), dict):
            sender = body["from"].get("id")
            # Anything else is no Telegram id: the update is set aside as malformed later.
            return sender if type(sender) is int and 0 < sender < 2**63 else None
    return None


def opens_a_link(payload: dict[str, Any]) -> bool:
    message = payload.get("message")
    text = message.get("text") if isinstance(message, dict) else None
    return isinstance(text, str) and text.startswith("/start ") and len(text.split()) == 2


async def screen(
    session: AsyncSession, updates: list[tuple[int, dict[str, Any]]], now: datetime, key: bytes
) -> set[int]:
    """Count the updates of unknown accounts and mark done, unhandled, those past the
    hour's allowance; their ids."""
    by_sender: dict[int, list[int]] = defaultdict(list)
    links: set[int] = set()
    for update_id, payload in updates:
        if (sender := sender_of(payload)) is not None:
            by_sender[sender].append(update_id)
            if opens_a_link(payload):
                links.add(update_id)
    done: set[int] = set()
    for sender, update_ids in by_sender.items():
        done |= await _count(session, sender, update_ids, links, now, key)
    return done


# Asked for every batch of a chat's updates, built once.
_KNOWN = select(
    or_(
        exists().where(Staff.telegram_user_id == bindparam("sender")),
        exists().where(Patient.telegram_user_id == bindparam("sender")),
        exists().where(Caregiver.telegram_user_id == bindparam("sender")),
    )
)


async def _count(
    session: AsyncSession,
    sender: int,
    update_ids: list[int],
    links: set[int],
    now: datetime,
    key: bytes,
) -> set[int]:
    if await session.scalar(_KNOWN, {"sender": sender}):
        return set()
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    tally = insert(StrangerTally).values(
        hour=hour_of(now), sender=sender_key(key, sender), updates=len(update_ids)
    )
    counted = await session.scalar(
        tally.on_conflict_do_update(
            index_elements=["hour", "sender"],
            set_={"updates": StrangerTally.updates + len(update_ids)},
        ).returning(StrangerTally.updates)
    )
    allowed = max(0, ANSWERED_PER_HOUR - ((counted or 0) - len(update_ids)))
    silenced = update_ids[allowed:]
    if links & set(silenced) and not await session.scalar(
        select(exists().where(LinkFailure.telegram_user_id == sender))
    ):
        silenced = [u for u in silenced if u not in links]  # never failed a link: look at it
    await session.execute(
        update(InboxUpdate).where(InboxUpdate.update_id.in_(update_ids)).values(from_stranger=True)
    )
    if silenced:
        await session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.update_id.in_(silenced), InboxUpdate.processed_at.is_(None))
            .values(processed_at=now, attempts=InboxUpdate.attempts + 1)
        )
    return set(silenced)


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
