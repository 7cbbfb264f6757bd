"""One-time link tokens (enrolment, caregivers and staff linking): random, single use, expiring.

Only a hash is stored, so a leaked database does not leak working links. The token is
long and random, so a fast hash is enough (there is nothing to brute-force offline).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import LinkToken, TokenPurpose

TOKEN_BYTES = 24  # 192 bits; Telegram deep-link payloads allow 64 characters of [A-Za-z0-9_-]
DEFAULT_LIFETIME = timedelta(days=14)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    """Cheap shape check before touching the database with whatever someone typed."""
    return 20 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)


async def issue(
    session: AsyncSession,
    purpose: TokenPurpose,
    now: datetime,
    *,
    episode_id: int | None = None,
    staff_id: int | None = None,
    caregiver_id: int | None = None,
    lifetime: timedelta = DEFAULT_LIFETIME,
) -> str:
    token = new_token()
    session.add(
        LinkToken(
            purpose=purpose,
            token_hash=token_hash(token),
            episode_id=episode_id,
            staff_id=staff_id,
            caregiver_id=caregiver_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


@dataclass(frozen=True)
class Redeemed:
    purpose: TokenPurpose
    episode_id: int | None
    staff_id: int | None
    caregiver_id: int | None = None


async def redeem(
    session: AsyncSession, token: str, purpose: TokenPurpose, telegram_user_id: int, now: datetime
) -> Redeemed | None:
    """Use the token once; None when unknown, expired, already used or of another purpose.

    The conditional update is what makes it single-use when two people race for it.
    """
    if not looks_like_token(token):
        return None
    digest = token_hash(token)
    result = await session.execute(
        update(LinkToken)
        .where(
            LinkToken.token_hash == digest,
            LinkToken.purpose == purpose,
            LinkToken.used_at.is_(None),
            LinkToken.expires_at > now,
        )
        .values(used_at=now, used_by_telegram_id=telegram_user_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = (
        await session.execute(
            select(LinkToken.episode_id, LinkToken.staff_id, LinkToken.caregiver_id).where(
                LinkToken.token_hash == digest
            )
        )
    ).one()
    return Redeemed(
        purpose=purpose,
        episode_id=row.episode_id,
        staff_id=row.staff_id,
        caregiver_id=row.caregiver_id,
    )


async def purpose_of(session: AsyncSession, token: str) -> TokenPurpose | None:
    """What a token was issued for, without using it (None: no such token)."""
    if not looks_like_token(token):
        return None
    purpose: TokenPurpose | None = await session.scalar(
        select(LinkToken.purpose).where(LinkToken.token_hash == token_hash(token))
    )
    return purpose
