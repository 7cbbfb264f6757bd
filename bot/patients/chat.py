"""Writing to a patient: every message goes through the outbox, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import PRIORITY_CONVERSATION, enqueue
from bot.telegram.render.patient import Payload
from db.models import Episode, Patient


@dataclass
class PatientChat:
    session: AsyncSession
    patient: Patient
    episode: Episode
    now: datetime

    @property
    def language(self) -> str:
        return self.patient.language

    def send(
        self,
        payload: Payload,
        purpose: str,
        *,
        priority: int = PRIORITY_CONVERSATION,
        checkin_id: int | None = None,
        dedupe_key: str | None = None,
    ) -> None:
        if self.patient.telegram_chat_id is None:
            return  # not linked yet (or erased): there is nobody to write to
        enqueue(
            self.session,
            chat_id=self.patient.telegram_chat_id,
            now=self.now,
            purpose=purpose,
            payload=payload,
            priority=priority,
            episode_id=self.episode.id,
            checkin_id=checkin_id,
            dedupe_key=dedupe_key,
        )
