"""Moving an enrolled patient to another protocol version, from the next check-in on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.patients.enrolment.enrol import EnrolmentRefused, materialise, open_episode
from bot.protocols.catalogue import ProtocolCatalogue
from db.audit import append
from db.models import CheckIn, CheckInStatus, ProtocolVersion


@dataclass(frozen=True)
class ProtocolChanged:
    ref: str
    before: str
    after: str
    replanned: int


async def set_protocol(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    *,
    ref: str,
    spec: str,
    now: datetime,
    actor: str,
    actor_kind: str = "cli",
    origin: str = "cli",
    only_from: str | None = None,
) -> ProtocolChanged:
    """Check-ins not yet sent are planned again by the new version; what was already asked
    and answered stays judged by the version it was asked under. ``only_from``: refuse
    unless the patient is on that pathway now (a whole pathway's move)."""
    patient, episode = await open_episode(session, ref)
    old = await session.get_one(ProtocolVersion, episode.protocol_version_id)
    if only_from is not None and old.protocol_id != only_from:
        raise EnrolmentRefused(f"patient {ref} is no longer on {only_from}")
    new, protocol = await catalogue.resolve(session, spec, now)
    before, after = f"{old.protocol_id}@{old.version}", f"{new.protocol_id}@{new.version}"
    if new.id == old.id:
        raise EnrolmentRefused(f"patient {ref} is already on {after}")
    await session.execute(
        update(CheckIn)
        .where(CheckIn.episode_id == episode.id, CheckIn.status == CheckInStatus.SCHEDULED)
        .values(status=CheckInStatus.CANCELLED)
    )
    episode.protocol_version_id = new.id
    episode.updated_at = now
    replanned = materialise(
        session, episode, new.id, protocol, patient.timezone, now, only_due_after_now=True
    )
    await append(
        session,
        at=now,
        actor_kind=actor_kind,
        actor_ref=actor,
        action="patient.set_protocol",
        origin=origin,
        patient_ref=ref,
        detail={"from": before, "to": after}
        | ({"whole_pathway": only_from} if only_from is not None else {}),
    )
    return ProtocolChanged(ref=ref, before=before, after=after, replanned=replanned)
