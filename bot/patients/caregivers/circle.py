"""Who may act for a patient: adding a caregiver (a new single-use link) and removing them.

The patient adds one from their chat (/caregiver), the team from the command line or the
console; both call ``invite`` and ``remove``. Removal takes effect at once: the account is
let go, so its next button or message is a stranger's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import tokens
from bot.delivery.outbox import enqueue
from bot.i18n import t
from bot.patients.enrolment.enrol import EnrolmentRefused, open_episode
from bot.telegram.render import patient as render
from db.audit import append
from db.models import Caregiver, Episode, LinkToken, Patient, TokenPurpose

# basis: local-default. Two people (say a partner and a grown-up child) cover a patient at
# home without turning the advice into a broadcast; for the hospital to review.
MAX_CAREGIVERS = 2
# basis: local-default. A caregiver's link is handed on at once, from the patient's phone or
# the ward; a week is long enough to open it and short enough not to linger.
LINK_LIFETIME = timedelta(days=7)


class CaregiverRefused(EnrolmentRefused):
    """The caregiver cannot be added or removed as asked; the message says why."""


@dataclass(frozen=True)
class Invitation:
    ref: str
    caregiver_id: int
    token: str
    expires_at: datetime
    revoked: int  # earlier caregiver links, unused, that no longer work


@dataclass(frozen=True)
class Removal:
    ref: str
    removed: tuple[int, ...]  # the caregivers' ids


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit log names them."""

    kind: str  # patient, staff or cli
    ref: str
    origin: str  # telegram, console or cli


async def linked(session: AsyncSession, patient_id: int) -> list[Caregiver]:
    """The patient's caregivers who opened their link and were not removed."""
    return list(
        await session.scalars(
            select(Caregiver)
            .where(
                Caregiver.patient_id == patient_id,
                Caregiver.removed_at.is_(None),
                Caregiver.linked_at.is_not(None),
            )
            .order_by(Caregiver.id)
        )
    )


async def invite(
    session: AsyncSession, patient: Patient, episode: Episode, now: datetime, actor: Actor
) -> Invitation:
    """A new caregiver link; an earlier one not yet opened stops working (one waits at a
    time), and none is made while the patient has ``MAX_CAREGIVERS`` linked."""
    if len(await linked(session, patient.id)) >= MAX_CAREGIVERS:
        raise CaregiverRefused(
            f"patient {patient.ref} has {MAX_CAREGIVERS} caregivers already: remove one first"
        )
    revoked = await _withdraw_waiting(session, patient.id, now)
    caregiver = Caregiver(patient_id=patient.id, added_by=actor.ref[:64], added_at=now)
    session.add(caregiver)
    await session.flush()
    token = await tokens.issue(
        session,
        TokenPurpose.CAREGIVER,
        now,
        episode_id=episode.id,
        caregiver_id=caregiver.id,
        lifetime=LINK_LIFETIME,
    )
    detail = {"caregiver": caregiver.id, "revoked": revoked}
    await _audit(session, now, actor, patient, "caregiver.add", "done", detail)
    return Invitation(patient.ref, caregiver.id, token, now + LINK_LIFETIME, revoked)


async def invite_by_ref(session: AsyncSession, ref: str, now: datetime, actor: Actor) -> Invitation:
    """The team adds a caregiver to patient ``ref``'s follow-up in progress."""
    patient, episode = await open_episode(session, ref)
    return await invite(session, patient, episode, now, actor)


async def invite_by_episode(
    session: AsyncSession, episode_id: int, now: datetime, actor: Actor
) -> Invitation:
    """The team adds a caregiver from the patient's page (named by the episode)."""
    patient, episode = await _followed(session, episode_id)
    return await invite(session, patient, episode, now, actor)


async def remove_by_episode(
    session: AsyncSession, episode_id: int, now: datetime, actor: Actor
) -> Removal:
    patient, episode = await _followed(session, episode_id)
    return await remove(session, patient, episode.id, now, actor)


@dataclass(frozen=True)
class Listed:
    """A caregiver as the team sees them: by id, never by their account."""

    caregiver_id: int
    added_by: str
    added_at: datetime
    linked_at: datetime | None


async def listed(session: AsyncSession, episode_id: int) -> list[Listed]:
    """The caregivers of the episode's patient, linked or waiting on their link."""
    rows = await session.scalars(
        select(Caregiver)
        .join(Episode, Episode.patient_id == Caregiver.patient_id)
        .where(Episode.id == episode_id, Caregiver.removed_at.is_(None))
        .order_by(Caregiver.id)
    )
    return [Listed(c.id, c.added_by, c.added_at, c.linked_at) for c in rows]


async def _followed(session: AsyncSession, episode_id: int) -> tuple[Patient, Episode]:
    episode = await session.get(Episode, episode_id)
    patient = await session.get(Patient, episode.patient_id) if episode else None
    if episode is None or patient is None or patient.erased_at is not None:
        raise CaregiverRefused("no such patient")
    return await open_episode(session, patient.ref)


async def remove(
    session: AsyncSession,
    patient: Patient,
    episode_id: int | None,
    now: datetime,
    actor: Actor,
    *,
    caregiver_id: int | None = None,
) -> Removal:
    """Remove the patient's caregivers (or the one ``caregiver_id`` names), linked or still
    waiting on their link: their links stop working and their accounts are let go at once;
    each one linked is told, in the patient's language."""
    query = select(Caregiver).where(
        Caregiver.patient_id == patient.id, Caregiver.removed_at.is_(None)
    )
    if caregiver_id is not None:
        query = query.where(Caregiver.id == caregiver_id)
    found = list(await session.scalars(query.order_by(Caregiver.id).with_for_update()))
    if caregiver_id is not None and not found:
        raise CaregiverRefused(f"patient {patient.ref} has no caregiver #{caregiver_id}")
    for caregiver in found:
        if caregiver.telegram_chat_id is not None:
            enqueue(
                session,
                chat_id=caregiver.telegram_chat_id,
                now=now,
                purpose="caregiver_removed",
                payload=render.message(t(patient.language, "caregiver_ended")),
                episode_id=episode_id,
            )
        caregiver.removed_at = now
        caregiver.telegram_user_id = caregiver.telegram_chat_id = None
    await _expire_links(session, [c.id for c in found], now)
    removed = tuple(c.id for c in found)
    await _audit(
        session, now, actor, patient, "caregiver.remove", "done", {"caregivers": list(removed)}
    )
    return Removal(patient.ref, removed)


async def remove_by_ref(
    session: AsyncSession, ref: str, now: datetime, actor: Actor, *, caregiver_id: int | None = None
) -> Removal:
    patient = await session.scalar(select(Patient).where(Patient.ref == ref))
    if patient is None or patient.erased_at is not None:
        raise CaregiverRefused(f"no patient with reference {ref!r}")
    episode_id = await session.scalar(
        select(func.max(Episode.id)).where(Episode.patient_id == patient.id)
    )
    return await remove(session, patient, episode_id, now, actor, caregiver_id=caregiver_id)


async def _withdraw_waiting(session: AsyncSession, patient_id: int, now: datetime) -> int:
    """Caregivers added but not linked yet are withdrawn with their links."""
    waiting = list(
        await session.scalars(
            select(Caregiver.id).where(
                Caregiver.patient_id == patient_id,
                Caregiver.removed_at.is_(None),
                Caregiver.linked_at.is_(None),
            )
        )
    )
    if not waiting:
        return 0
    await session.execute(
        update(Caregiver)
        .where(Caregiver.id.in_(waiting))
        .values(removed_at=now)
        .execution_options(synchronize_session=False)
    )
    return await _expire_links(session, waiting, now)


async def _expire_links(session: AsyncSession, caregiver_ids: list[int], now: datetime) -> int:
    if not caregiver_ids:
        return 0
    # Expired, not deleted: the row still says when it was issued and when it stopped.
    result = await session.execute(
        update(LinkToken)
        .where(
            LinkToken.caregiver_id.in_(caregiver_ids),
            LinkToken.used_at.is_(None),
            LinkToken.expires_at > now,
        )
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _audit(
    session: AsyncSession,
    now: datetime,
    actor: Actor,
    patient: Patient,
    action: str,
    outcome: str,
    detail: dict[str, Any],
) -> None:
    await append(
        session,
        at=now,
        actor_kind=actor.kind,
        actor_ref=actor.ref,
        action=action,
        outcome=outcome,
        origin=actor.origin,
        patient_ref=patient.ref,
        detail=detail,
    )
