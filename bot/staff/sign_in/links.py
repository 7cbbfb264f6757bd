"""One-time sign-in links: asked for with /console in a private chat with the bot, or
printed for a staff member by an admin.

A link is single use and valid for five minutes, and only its hash is stored. Opening it
only looks (``peek``): the page's button posts it back, and that post alone uses it, so a
chat app fetching the link for a preview cannot use it up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import refuse
from bot.access.tokens import looks_like_token, new_token, token_hash
from bot.delivery.outbox import enqueue
from bot.staff.registry import StaffRefused, find_staff
from bot.staff.views import NOT_STAFF, staff_member
from bot.telegram.render.patient import message
from db.audit import append
from db.models import SignInLink, Staff, TeamMember

LINK_LIFETIME = timedelta(minutes=5)
SIGN_IN_PATH = "/sign-in/"


def sign_in_url(console_url: str, token: str) -> str:
    return f"{console_url}{SIGN_IN_PATH}{token}"


async def issue_link(session: AsyncSession, staff: Staff, now: datetime) -> str:
    """A new link's token for ``staff`` (only its hash is kept)."""
    token = new_token()
    session.add(
        SignInLink(
            token_hash=token_hash(token),
            staff_id=staff.id,
            created_at=now,
            expires_at=now + LINK_LIFETIME,
        )
    )
    await session.flush()
    return token


async def send_link(
    session: AsyncSession,
    console_url: str | None,
    chat_id: int,
    telegram_user_id: int,
    now: datetime,
) -> None:
    """Answer /console in a private chat: a sign-in link for linked, active staff, a refusal
    to anyone else (audited). Never in a group: whoever reads the group could use it."""
    member = await staff_member(session, telegram_user_id)
    if member is None:
        await refuse(session, telegram_user_id=telegram_user_id, action="console.link", now=now)
        text = NOT_STAFF
    elif console_url is None:
        text = "The console's address is not set up (ERAS_PUBLIC_URL): ask an admin."
    else:
        token = await issue_link(session, member, now)
        await _audit(session, member, now, "console.link", "telegram")
        text = _link_text(console_url, token)
    payload = message(text)
    payload["link_preview_options"] = {"is_disabled": True}
    enqueue(session, chat_id=chat_id, now=now, purpose="reply", payload=payload)


@dataclass(frozen=True)
class PrivateLink:
    """The answer to an "Open console" press: what to send the presser in their private
    chat (None: nothing), and what the button's answer says."""

    text: str | None
    answer: str


NOT_THIS_TEAM = "This button is for the staff of this card's team."
LINK_SENT = "Your sign-in link is in your private chat with the bot."


async def private_link(
    session: AsyncSession,
    console_url: str | None,
    team_id: int,
    telegram_user_id: int,
    now: datetime,
) -> PrivateLink:
    """An "Open console" press on a team's card or digest: a sign-in link for the presser's
    private chat if they are active staff of that team; a refusal (audited) otherwise."""
    member = await staff_member(session, telegram_user_id)
    membership = None
    if member is not None:
        membership = await session.get(TeamMember, (team_id, member.id))
    if member is None or membership is None:
        await refuse(session, telegram_user_id=telegram_user_id, action="console.link", now=now)
        return PrivateLink(None, NOT_THIS_TEAM)
    if console_url is None:
        return PrivateLink(None, "The console's address is not set up: ask an admin.")
    token = await issue_link(session, member, now)
    await _audit(session, member, now, "console.link", "telegram")
    return PrivateLink(_link_text(console_url, token), LINK_SENT)


def queue_link(session: AsyncSession, chat_id: int, text: str, now: datetime) -> None:
    """A private link Telegram would not take at once (its trouble, not the person's): the
    outbox sends it in the replies' lane, honouring any ``retry_after``."""
    payload = message(text)
    payload["link_preview_options"] = {"is_disabled": True}
    enqueue(session, chat_id=chat_id, now=now, purpose="reply", payload=payload)


def _link_text(console_url: str, token: str) -> str:
    return (
        "Your sign-in link for the care-team console, valid for 5 minutes and once:\n"
        f"{sign_in_url(console_url, token)}\n"
        "Open it in your browser; do not pass it on."
    )


async def link_for(
    session: AsyncSession, who: str, console_url: str, now: datetime, actor: str
) -> tuple[Staff, str]:
    """`eras staff login-link NAME`: a sign-in link an admin hands over in person."""
    member = await find_staff(session, who)
    if not member.active:
        raise StaffRefused(f"{member.name} (id {member.id}) was removed and cannot sign in")
    token = await issue_link(session, member, now)
    await append(
        session,
        at=now,
        actor_kind="cli",
        actor_ref=actor,
        action="console.link",
        origin="cli",
        detail={"staff": member.id},
    )
    return member, sign_in_url(console_url, token)


async def peek(session: AsyncSession, token: str, now: datetime) -> bool:
    """Whether the link would sign someone in now, without using it."""
    return await _usable(session, token, now) is not None


async def redeem(session: AsyncSession, token: str, now: datetime) -> Staff | None:
    """Use the link: the active staff member it signs in, or None (unknown, expired, used,
    or its staff member removed). A conditional update: of two posts, one wins."""
    link = await _usable(session, token, now)
    if link is None:
        return None
    used = await session.execute(
        update(SignInLink)
        .where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return None
    member = await session.get_one(Staff, link.staff_id)
    await _audit(session, member, now, "console.sign_in", "console")
    return member


async def _usable(session: AsyncSession, token: str, now: datetime) -> SignInLink | None:
    if not looks_like_token(token):
        return None
    link: SignInLink | None = await session.scalar(
        select(SignInLink)
        .join(Staff, Staff.id == SignInLink.staff_id)
        .where(
            SignInLink.token_hash == token_hash(token),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
            Staff.active.is_(True),
        )
    )
    return link


async def _audit(
    session: AsyncSession, member: Staff, now: datetime, action: str, origin: str
) -> None:
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{member.id}",
        action=action,
        origin=origin,
    )
