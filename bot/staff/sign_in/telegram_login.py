"""Signing in with Telegram's own sign-in (an "Open console" LoginUrl button), once the
bot's domain is set with BotFather.

Telegram sends the browser to the console with the user's id, names, ``auth_date`` and a
``hash``: HMAC-SHA256 of the other fields (sorted ``key=value`` lines, the data-check-string)
keyed by SHA-256 of the bot's token. Only the bot's token can make that hash, so a valid
one says Telegram vouches for the user; ``auth_date`` keeps an old address from working,
and each signature opens one session only: the address stays in the browser's history, and
a ward's shared computer must not sign the next person in as the last one.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import refuse
from bot.access.tokens import token_hash
from bot.staff.views import staff_member
from db.audit import append
from db.models import SignInLink, Staff

LIFETIME = timedelta(minutes=5)
# A clock a little ahead of ours is Telegram's, not a forger's; beyond this, refused.
CLOCK_SKEW = timedelta(seconds=30)
_FIELDS = frozenset({"id", "first_name", "last_name", "username", "photo_url", "auth_date"})
_HASH = frozenset("0123456789abcdef")


def data_check_string(fields: Mapping[str, str]) -> str:
    """Every field but the hash, as ``key=value`` lines sorted by key."""
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def signature(fields: Mapping[str, str], bot_token: str) -> str:
    """The hash Telegram gives these fields, as hex."""
    key = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(key, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def vouched_user(fields: Mapping[str, str], bot_token: str, now: datetime) -> int | None:
    """The Telegram user id Telegram vouches for, or None: a field it never sends, a hash
    that does not match (compared in constant time), an ``auth_date`` older than five
    minutes or from the future."""
    given = fields.get("hash", "")
    signed = {key: value for key, value in fields.items() if key != "hash"}
    if not set(signed) <= _FIELDS or len(given) != 64 or not set(given) <= _HASH:
        return None
    if not hmac.compare_digest(signature(signed, bot_token), given):
        return None
    user_id, auth_date = signed.get("id", ""), signed.get("auth_date", "")
    if not (user_id.isdigit() and auth_date.isdigit()) or len(auth_date) > 12:
        return None
    signed_at = datetime.fromtimestamp(int(auth_date), UTC)
    if not now - LIFETIME <= signed_at <= now + CLOCK_SKEW:
        return None
    return int(user_id)


async def sign_in_with_telegram(
    session: AsyncSession, fields: Mapping[str, str], bot_token: str, now: datetime
) -> Staff | None:
    """The active staff member linked to the Telegram user Telegram vouches for, or None;
    a valid signature of anyone else is refused and audited, and a signature already used
    opens nothing more (it is kept as a used one-time link until it expires anyway)."""
    user_id = vouched_user(fields, bot_token, now)
    if user_id is None:
        return None
    member = await staff_member(session, user_id)
    if member is None:
        await refuse(session, telegram_user_id=user_id, action="console.sign_in", now=now)
        return None
    used = token_hash("telegram-login:" + fields["hash"])  # never a link's token's hash
    if await session.scalar(select(SignInLink.id).where(SignInLink.token_hash == used)):
        return None
    signed_at = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
    session.add(
        SignInLink(
            token_hash=used,
            staff_id=member.id,
            created_at=now,
            expires_at=signed_at + LIFETIME,
            used_at=now,
        )
    )
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{member.id}",
        action="console.sign_in",
        origin="telegram_login",
    )
    return member
