"""The photos and voice messages a patient sent (a wound photo in a check-in, a photo with a
concern, a photo or voice message to the team), as the console shows them to the team.

Telegram keeps the files; the record keeps their file ids, which never leave the server. A
file is named on the console by an opaque reference made of its row's id ("a12" an answer,
"m7" a message), always under its episode; each look at one is audited like the record.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.concern import PHOTO_ITEM
from bot.protocols.catalogue import ProtocolCatalogue
from db.audit import append
from db.models import (
    Answer,
    CheckIn,
    Content,
    Direction,
    Episode,
    Patient,
    PatientMessage,
    ProtocolVersion,
)
from flows import Protocol
from flows.schema.items import PhotoItem

ACTION = "patient.file.view"
PHOTO = "photo"
VOICE = "voice"
_REF = re.compile(r"(?P<kind>[am])(?P<row>[1-9][0-9]{0,17})")


@dataclass(frozen=True)
class KeptFile:
    file_id: str  # Telegram's: for the server only
    kind: str  # photo or voice


def answer_file_ref(answer_id: int) -> str:
    return f"a{answer_id}"


def message_file_ref(message_id: int) -> str:
    return f"m{message_id}"


def photo_items(protocol: Protocol) -> set[str]:
    """The items whose answer is a photo: the protocol's, and a concern's own."""
    return {item.id for item in protocol.items if isinstance(item, PhotoItem)} | {PHOTO_ITEM}


async def kept_file(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    episode_id: int,
    ref: str,
    team_ids: Collection[int],
    staff_id: int,
    now: datetime,
) -> KeptFile | None:
    """The file ``ref`` of episode ``episode_id`` as a member of ``team_ids`` may see it
    (None: no such file, not of this episode, or not theirs); the look is audited."""
    found = _REF.fullmatch(ref)
    if found is None:
        return None
    patient = await session.scalar(
        select(Patient)
        .join(Episode, Episode.patient_id == Patient.id)
        .where(
            Episode.id == episode_id,
            Episode.team_id.in_(team_ids),
            Patient.erased_at.is_(None),
        )
    )
    if patient is None:
        return None
    row = int(found["row"])
    if found["kind"] == "a":
        kept = await _answered(session, catalogue, episode_id, row)
    else:
        kept = await _sent(session, episode_id, row)
    if kept is None:
        return None
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{staff_id}",
        action=ACTION,
        patient_ref=patient.ref,
        origin="console",
        detail={"episode": episode_id, "file": ref},
    )
    return kept


async def _answered(
    session: AsyncSession, catalogue: ProtocolCatalogue, episode_id: int, answer_id: int
) -> KeptFile | None:
    found = (
        await session.execute(
            select(Answer, ProtocolVersion)
            .join(CheckIn, CheckIn.id == Answer.checkin_id)
            .join(ProtocolVersion, ProtocolVersion.id == Answer.protocol_version_id)
            .where(Answer.id == answer_id, CheckIn.episode_id == episode_id)
        )
    ).first()
    if found is None:
        return None
    answer, version = found
    if answer.item_id not in photo_items(catalogue.of(version)):
        return None
    if not isinstance(answer.value, str) or not answer.value:
        return None
    return KeptFile(answer.value, PHOTO)


async def _sent(session: AsyncSession, episode_id: int, message_id: int) -> KeptFile | None:
    message = await session.scalar(
        select(PatientMessage).where(
            PatientMessage.id == message_id,
            PatientMessage.episode_id == episode_id,
            PatientMessage.direction == Direction.FROM_PATIENT,
            PatientMessage.content.in_((Content.PHOTO, Content.VOICE)),
        )
    )
    if message is None or not message.file_id:
        return None
    return KeptFile(message.file_id, PHOTO if message.content is Content.PHOTO else VOICE)
