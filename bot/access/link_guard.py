"""Guessing links: a limit per Telegram account, and one for everyone, kept in the database.

Tokens are long and random, so guessing one is hopeless anyway; the limit makes sure
nobody can try at scale. Failures are rows, so the limit holds across processes and
restarts. While an account (or everyone) is over the limit, a link is refused without
being looked at, so the answer says nothing about whether it exists.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import UNKNOWN_TELEGRAM_USER, append
from db.models import LinkFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    per_account: int = 5  # wrong links per account within the window
    overall: int = 200  # wrong links from all accounts together within the window
    window: timedelta = timedelta(minutes=15)


LIMITS = Limits()


async def over_limit(
    session: AsyncSession, telegram_user_id: int, now: datetime, limits: Limits = LIMITS
) -> bool:
    """True while this account, or everyone together, used up the wrong links allowed.

    The cool-down ends by itself: a failure stops counting ``window`` after it happened,
    and is then deleted (at the next link anyone opens), account id and all.
    """
    await session.execute(delete(LinkFailure).where(LinkFailure.at <= now - limits.window))
    recent = LinkFailure.at > now - limits.window
    mine = await session.scalar(
        select(func.count())
        .select_from(LinkFailure)
        .where(LinkFailure.telegram_user_id == telegram_user_id, recent)
    )
    if (mine or 0) >= limits.per_account:
        return True
    everyone = await session.scalar(select(func.count()).select_from(LinkFailure).where(recent))
    if (everyone or 0) >= limits.overall:
        log.warning("links refused for everyone: %s wrong links in %s", everyone, limits.window)
        return True
    return False


def failed(session: AsyncSession, telegram_user_id: int, now: datetime) -> None:
    """Count a link that could not be used."""
    session.add(LinkFailure(telegram_user_id=telegram_user_id, at=now))


async def refused_unchecked(session: AsyncSession, now: datetime) -> None:
    await append(
        session,
        at=now,
        actor_kind="telegram_user",
        actor_ref=UNKNOWN_TELEGRAM_USER,
        action="link.throttled",
        outcome="refused",
        origin="telegram",
    )
