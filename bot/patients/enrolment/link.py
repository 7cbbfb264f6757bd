"""A new enrolment link for a patient who lost theirs, or whose link expired: the old one
stops working the moment the new one exists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import tokens
from bot.patients.enrolment.enrol import open_episode
from db.audit import append
from db.models import LinkToken, TokenPurpose


@dataclass(frozen=True)
class Reissued:
    ref: str
    token: str
    expires_at: datetime
    revoked: int  # earlier links, unused, that no longer work


async def reissue_link(
    session: AsyncSession,
    *,
    ref: str,
    now: datetime,
    actor: str,
    actor_kind: str = "cli",
    origin: str = "cli",
    lifetime: timedelta = tokens.DEFAULT_LIFETIME,
) -> Reissued:
    """Only for a follow-up in progress. A patient who opens the new link on another phone
    moves the follow-up there, as with the first link."""
    _, episode = await open_episode(session, ref)
    revoked = await revoke_links(session, episode.id, now)
    token = await tokens.issue(
        session, TokenPurpose.PATIENT, now, episode_id=episode.id, lifetime=lifetime
    )
    await append(
        session,
        at=now,
        actor_kind=actor_kind,
        actor_ref=actor,
        action="patient.link",
        origin=origin,
        patient_ref=ref,
        detail={"revoked": revoked},
    )
    return Reissued(ref=ref, token=token, expires_at=now + lifetime, revoked=revoked)


async def revoke_links(session: AsyncSession, episode_id: int, now: datetime) -> int:
    """The episode's unused links stop working; returns how many there were."""
    # Expired, not deleted: the row still says when it was issued and when it stopped.
    result = await session.execute(
        update(LinkToken)
        .where(
            LinkToken.episode_id == episode_id,
            LinkToken.purpose == TokenPurpose.PATIENT,
            LinkToken.used_at.is_(None),
            LinkToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
