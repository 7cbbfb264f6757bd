"""Retention: patients whose follow-up ended long enough ago are erased.

A follow-up has ended when every episode was completed, withdrawn or declined, or has no
check-in left to come (its schedule has run its course), and no alert is unresolved. It
ended long enough ago when nothing has happened to it since the cutoff: no change of
episode, no answered or missed check-in, no resolved alert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.privacy.erasure import UNFINISHED, erase_patient
from bot.privacy.raw_updates import empty_processed_before
from db.models import OPEN_ALERTS, Alert, CheckIn, CheckInStatus, Episode, EpisodeStatus, Patient

ENDED = (EpisodeStatus.COMPLETED, EpisodeStatus.WITHDRAWN, EpisodeStatus.DECLINED)


@dataclass
class Purge:
    cutoff: datetime
    erased: list[str] = field(default_factory=list)  # references, in order
    raw_updates: int = 0  # old updates emptied, whoever sent them


async def due_for_erasure(session: AsyncSession, cutoff: datetime) -> list[str]:
    """References of patients whose follow-up ended before ``cutoff``, not yet erased."""
    of_patient = Episode.patient_id == Patient.id
    still_followed = exists().where(
        of_patient,
        Episode.status.not_in(ENDED),
        CheckIn.episode_id == Episode.id,
        CheckIn.status.in_(UNFINISHED),
    )
    unresolved = exists().where(
        of_patient, Alert.episode_id == Episode.id, Alert.status.in_(OPEN_ALERTS)
    )
    episode_since = exists().where(of_patient, Episode.updated_at >= cutoff)
    checkin_since = exists().where(
        of_patient,
        CheckIn.episode_id == Episode.id,
        or_(
            CheckIn.completed_at >= cutoff,
            and_(CheckIn.status == CheckInStatus.MISSED, CheckIn.missed_at >= cutoff),
        ),
    )
    alert_since = exists().where(
        of_patient, Alert.episode_id == Episode.id, Alert.resolved_at >= cutoff
    )
    refs = await session.scalars(
        select(Patient.ref)
        .where(
            Patient.erased_at.is_(None),
            exists().where(of_patient),
            ~still_followed,
            ~unresolved,
            ~episode_since,
            ~checkin_since,
            ~alert_since,
        )
        .order_by(Patient.ref)
    )
    return list(refs)


async def purge(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    older_than: timedelta,
    *,
    actor: str,
    origin: str = "cli",
    keep_clinical: bool = True,
    dry_run: bool = False,
) -> Purge:
    """Empty the raw updates processed before the cutoff, whoever sent them (they were
    only needed until then), then erase every patient due, one transaction each: what is
    erased stays erased if a later one fails."""
    done = Purge(cutoff=now - older_than)
    async with sessions() as session:
        due = await due_for_erasure(session, done.cutoff)
    if dry_run:
        done.erased = due
        return done
    async with sessions.begin() as session:
        done.raw_updates = await empty_processed_before(session, done.cutoff)
    for ref in due:
        async with sessions.begin() as session:
            erased = await erase_patient(
                session,
                ref,
                now,
                actor=actor,
                keep_clinical=keep_clinical,
                reason="retention",
                origin=origin,
            )
        if not erased.already:
            done.erased.append(ref)
    return done
