"""What the use cases are given.

Every use case: the database, the protocols, the site, the clock, and a way to wake the
sender once its messages are committed (``Services``). One acting in a patient's chat: its
transaction, the patient and their episode, the instant, and a way to write to them
(``PatientChat``), or to the caregiver acting for them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.outbox import PRIORITY_CONVERSATION, enqueue
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render.patient import Payload
from db.models import (
    ANSWERED_BY_CAREGIVER,
    ANSWERED_BY_PATIENT,
    Caregiver,
    Episode,
    Patient,
    Team,
)


@dataclass(frozen=True)
class Site:
    """What the services need to know about the site running them."""

    emergency_number: str
    # Where staff open the web console: sign-in links point there.
    console_url: str | None = None
    # The bot's Telegram username: a patient's link is t.me/<it>?start=<token>.
    bot_username: str | None = None


async def team_emergency_number(session: AsyncSession, team_id: int, default: str) -> str:
    """A team's emergency number, else the site's default."""
    team = await session.get(Team, team_id)
    return team.emergency_number if team is not None and team.emergency_number else default


@dataclass
class Services:
    sessions: async_sessionmaker[AsyncSession]
    catalogue: ProtocolCatalogue
    site: Site
    clock: Clock
    wake_sender: Callable[[], None]


@dataclass
class PatientChat:
    """Writing to a patient: every message goes through the outbox, in the caller's
    transaction. With ``caregiver``, a caregiver acts for the patient: replies go to the
    caregiver's chat, in the patient's language."""

    session: AsyncSession
    patient: Patient
    episode: Episode
    now: datetime
    caregiver: Caregiver | None = None

    @property
    def language(self) -> str:
        return self.patient.language

    @property
    def answered_by(self) -> str:
        return ANSWERED_BY_PATIENT if self.caregiver is None else ANSWERED_BY_CAREGIVER

    @property
    def chat_id(self) -> int | None:
        """Where a reply goes: the chat of whoever acts."""
        if self.caregiver is not None:
            return self.caregiver.telegram_chat_id
        return self.patient.telegram_chat_id

    async def emergency_number(self, default: str) -> str:
        """The number this patient is told to call: their team's own, else the site's
        default (``ERAS_EMERGENCY_NUMBER``)."""
        return await team_emergency_number(self.session, self.episode.team_id, default)

    def send(
        self,
        payload: Payload,
        purpose: str,
        *,
        priority: int = PRIORITY_CONVERSATION,
        checkin_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> None:
        if self.chat_id is None:
            return  # not linked yet (or erased): there is nobody to write to
        enqueue(
            self.session,
            chat_id=self.chat_id,
            now=self.now,
            purpose=purpose,
            payload=payload,
            priority=priority,
            episode_id=self.episode.id,
            checkin_id=checkin_id,
            dedupe_key=dedupe_key,
        )

    async def warn(
        self,
        payload: Payload,
        purpose: str,
        *,
        priority: int,
        checkin_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> None:
        """Advice that keeps the patient safe (a red flag's): to whoever acts, and to the
        patient and each linked caregiver as well."""
        self.send(payload, purpose, priority=priority, checkin_id=checkin_id, dedupe_key=dedupe_key)
        caregivers = await self.session.scalars(
            select(Caregiver.telegram_chat_id).where(
                Caregiver.patient_id == self.patient.id,
                Caregiver.removed_at.is_(None),
                Caregiver.telegram_chat_id.is_not(None),
            )
        )
        others = {self.patient.telegram_chat_id, *caregivers} - {self.chat_id, None}
        for chat_id in sorted(c for c in others if c is not None):
            enqueue(
                self.session,
                chat_id=chat_id,
                now=self.now,
                purpose=purpose,
                payload=payload,
                priority=priority,
                episode_id=self.episode.id,
                checkin_id=checkin_id,
            )
