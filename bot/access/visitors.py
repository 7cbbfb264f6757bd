"""Who is behind an update in a private chat: the patient linked to the account, a caregiver
linked to act for one, or someone who is not (yet) either, refused and audited with an
answer that says nothing about any patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import refuse
from bot.context import PatientChat, Services
from bot.delivery.outbox import enqueue
from bot.i18n import catalogue as words
from bot.i18n import t
from bot.telegram.render.patient import message
from db.models import Caregiver, Episode, EpisodeStatus, Patient

FOLLOWED = (
    EpisodeStatus.INVITED,
    EpisodeStatus.ACTIVE,
    EpisodeStatus.PAUSED,
    EpisodeStatus.ON_HOLD,
)


async def linked_patient(
    session: AsyncSession, telegram_user_id: int
) -> tuple[Patient, Episode] | None:
    """The patient behind a Telegram account, with their current episode (one query: it
    runs for every update in a private chat)."""
    found = (await session.execute(_LINKED, {"user": telegram_user_id})).first()
    return None if found is None else (found[0], found[1])


_LINKED = (  # built once
    select(Patient, Episode)
    .join(Episode, Episode.patient_id == Patient.id)
    .where(Patient.telegram_user_id == bindparam("user"), Episode.status.in_(FOLLOWED))
    .order_by(Episode.id.desc())
    .limit(1)
)


async def followed_episode(session: AsyncSession, patient_id: int) -> Episode | None:
    """The patient's episode still followed, if any."""
    episode: Episode | None = await session.scalar(
        select(Episode)
        .where(Episode.patient_id == patient_id, Episode.status.in_(FOLLOWED))
        .order_by(Episode.id.desc())
        .limit(1)
    )
    return episode


async def linked_caregiver(
    session: AsyncSession, telegram_user_id: int
) -> tuple[Caregiver, Patient, Episode] | None:
    """The caregiver behind a Telegram account, with the patient they act for; None once
    removed (their account is let go at once) or when the follow-up ended."""
    caregiver = await session.scalar(
        select(Caregiver).where(
            Caregiver.telegram_user_id == telegram_user_id, Caregiver.removed_at.is_(None)
        )
    )
    if caregiver is None:
        return None
    patient = await session.get_one(Patient, caregiver.patient_id)
    episode = await followed_episode(session, patient.id)
    return (caregiver, patient, episode) if episode is not None else None


@dataclass(frozen=True)
class Sender:
    """Who wrote or pressed, as Telegram says (nothing of it is trusted further)."""

    telegram_user_id: int | None
    chat_id: int | None  # where to answer
    language_code: str | None = None


@dataclass
class Visit:
    """One update in a private chat, in its unit of work, and the patient behind it."""

    svc: Services
    session: AsyncSession
    sender: Sender
    now: datetime
    chat: PatientChat | None  # None: this account is no enrolled, linked patient
    # A caregiver's account: the patient's chat, acting as the caregiver.
    caregiving: PatientChat | None = None

    @classmethod
    async def open(cls, svc: Services, session: AsyncSession, sender: Sender) -> Visit:
        now = svc.clock.now()
        who = sender.telegram_user_id
        linked = await linked_patient(session, who) if who is not None else None
        chat = PatientChat(session, *linked, now) if linked is not None else None
        helping = None
        if chat is None and who is not None and (found := await linked_caregiver(session, who)):
            caregiver, patient, episode = found
            helping = PatientChat(session, patient, episode, now, caregiver=caregiver)
        return cls(svc, session, sender, now, chat, helping)

    async def refuse(self, action: str, key: str | None = "start_without_link") -> None:
        """Refuse someone who is not (yet) a patient, audited; the answer (``key``, None for
        none) says nothing about any patient."""
        await refuse(
            self.session, telegram_user_id=self.sender.telegram_user_id, action=action, now=self.now
        )
        if key is not None:
            self.tell(key)

    def tell(self, key: str, **values: Any) -> None:
        """Answer someone who is not (yet) a patient: nothing about any patient in it."""
        if self.sender.chat_id is None:
            return
        language = words().language(self.sender.language_code)
        enqueue(
            self.session,
            chat_id=self.sender.chat_id,
            now=self.now,
            purpose="reply",
            payload=message(t(language, key, **values)),
        )
