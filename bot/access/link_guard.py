"""Guessing links: a limit per Telegram account and per token prefix, kept in the database.

Tokens are long and random, so guessing one is hopeless anyway; the limits make sure
nobody can try at scale. Failures are rows, so the limits hold across processes and
restarts. While an account is over its limit, or has guessed before and opens a link that
begins like many wrong ones, the link is refused without being looked at, so the answer
says nothing about whether it exists.

Nothing counted over everyone locks anyone out: forty accounts guessing must not keep a
patient from their link. A flood of wrong links from everyone is told to the admins.
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
    per_prefix: int = 10  # wrong links beginning alike, from all accounts, within the window
    alarm: int = 200  # wrong links from everyone within the window: the admins are told
    window: timedelta = timedelta(minutes=15)


LIMITS = Limits()
PREFIX = 6  # characters: 36 bits of a 192-bit token, far from telling which link it is


def prefix(token: str) -> str:
    return token[:PREFIX]


async def over_limit(
    session: AsyncSession,
    telegram_user_id: int,
    token: str,
    now: datetime,
    limits: Limits = LIMITS,
) -> bool:
    """True while this account used up its wrong links, or, having failed before, opens a
    link beginning like ``per_prefix`` recent wrong ones. An account that has not failed
    is always looked at: a patient's valid link works whoever else is guessing.

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
    if not mine:
        return False
    if mine >= limits.per_account:
        return True
    alike = await session.scalar(
        select(func.count())
        .select_from(LinkFailure)
        .where(LinkFailure.token_prefix == prefix(token), recent)
    )
    return (alike or 0) >= limits.per_prefix


def failed(session: AsyncSession, telegram_user_id: int, token: str, now: datetime) -> None:
    """Count a link that could not be used."""
    session.add(LinkFailure(telegram_user_id=telegram_user_id, token_prefix=prefix(token), at=now))


async def everyone_guessing(
    session: AsyncSession, now: datetime, limits: Limits = LIMITS
) -> int | None:
    """How many wrong links everyone opened within the window, once that is ``alarm`` or
    more (someone is trying at scale: the admins should know); otherwise None."""
    everyone = await session.scalar(
        select(func.count()).select_from(LinkFailure).where(LinkFailure.at > now - limits.window)
    )
    if (everyone or 0) < limits.alarm:
        return None
    log.warning("%s wrong links in %s from all accounts together", everyone, limits.window)
    return everyone


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
