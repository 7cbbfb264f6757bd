"""Erasing a patient: what identifies them goes, the pseudonymous clinical record stays.

What identifies a person: their Telegram account and chat, the name the team gave them,
the names Telegram sends with every update, what they typed or photographed, every
message the bot wrote to them, the alert cards that show their name, and the messages
between them and their team and the team's notes (erased whatever else is kept). What the
hospital keeps unless told otherwise: the reference, check-ins with their tiers and
scores, answers that are choices or numbers, and alerts with their outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, false, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.card import redraw_card
from bot.checkins.concern import WORDS_ITEMS
from bot.correspondence.erasure import SHOWS_THE_WORDS, erase_correspondence, words_of
from bot.delivery.outbox import enqueue
from bot.privacy.caregivers import caregiver_accounts, forget_caregivers
from bot.privacy.raw_updates import Traces, empty, find_mentions
from bot.telegram.render.patient import message
from db.audit import append
from db.models import (
    OPEN_ALERTS,
    Alert,
    AlertEvent,
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    LinkFailure,
    LinkToken,
    OutboxMessage,
    OutboxStatus,
    Patient,
    ProtocolVersion,
)
from flows import parse_protocol

# Stands in for an answer that was the patient's own words or picture.
ERASED = "[erased]"
# Where a message to an erased patient went: Telegram has no chat 0.
NOBODY = 0
FREE_FORM = ("text", "photo")
UNFINISHED = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.IN_PROGRESS)
FOLLOWED = (
    EpisodeStatus.INVITED,
    EpisodeStatus.ACTIVE,
    EpisodeStatus.PAUSED,
    EpisodeStatus.ON_HOLD,
    EpisodeStatus.UNREACHABLE,
)
# Messages to the team that show the patient's name or photos: not sent once erased.
SHOWS_THE_PATIENT = ("alert_photo", "alert_card_update", *SHOWS_THE_WORDS)


class ErasureRefused(Exception):
    """The erasure cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Erasure:
    ref: str
    erased_at: datetime
    already: bool  # erased before: nothing more was done
    clinical_kept: bool
    raw_updates: int = 0
    messages: int = 0


@dataclass(frozen=True)
class Record:
    """The rows of one patient, by id."""

    episodes: list[int]
    checkins: list[int]
    alerts: list[Alert]

    def messages(self, chat_id: int | None) -> ColumnElement[bool]:
        return or_(
            OutboxMessage.episode_id.in_(self.episodes),
            OutboxMessage.alert_id.in_([a.id for a in self.alerts]),
            OutboxMessage.checkin_id.in_(self.checkins),
            OutboxMessage.chat_id == chat_id if chat_id is not None else false(),
        )


async def erase_patient(
    session: AsyncSession,
    ref: str,
    now: datetime,
    *,
    actor: str,
    keep_clinical: bool = True,
    reason: str = "request",
    origin: str = "cli",
) -> Erasure:
    """Erase patient ``ref`` in the caller's transaction (audited as ``patient.erase``)."""
    patient = await session.scalar(select(Patient).where(Patient.ref == ref))
    if patient is None:
        raise ErasureRefused(f"no patient with reference {ref!r}")
    if patient.erased_at is not None:
        return Erasure(ref, patient.erased_at, already=True, clinical_kept=keep_clinical)
    record = await _record(session, patient)
    unresolved = [a.id for a in record.alerts if a.status in OPEN_ALERTS]
    if unresolved and not keep_clinical:
        raise ErasureRefused(
            f"alert #{unresolved[0]} of {ref} is not resolved: resolve it before dropping "
            "the clinical record"
        )
    free_form = await _free_form_items(session, record)
    # Read before the first write: on SQLite, writing locks out everyone else.
    helpers = await caregiver_accounts(session, patient.id)
    raw_updates = await find_mentions(session, await _traces(session, patient, record, free_form))
    if not await _claim(session, patient, now):
        await session.refresh(patient)
        assert patient.erased_at is not None
        return Erasure(ref, patient.erased_at, already=True, clinical_kept=keep_clinical)
    await empty(session, raw_updates, now)
    chat_id = patient.telegram_chat_id
    await _forget_account(session, patient, record)
    await _stop_follow_up(session, record, now)
    messages = await _cancel_messages(session, record, chat_id)
    await erase_correspondence(session, record.episodes, now)
    await forget_caregivers(
        session, patient.id, helpers, keep_clinical=keep_clinical, nobody=NOBODY
    )
    if keep_clinical:
        await _scrub_free_form(session, record, free_form)
        for alert in record.alerts:
            await redraw_card(session, alert, now)  # the card without the name, where it is
        await _empty_sent_messages(session, record, chat_id)
    else:
        await _drop_clinical(session, record, chat_id, now)
    await append(
        session,
        at=now,
        actor_kind="cli" if origin == "cli" else "system",
        actor_ref=actor,
        action="patient.erase",
        origin=origin,
        patient_ref=ref,
        detail={"reason": reason, "clinical": "kept" if keep_clinical else "dropped"},
    )
    return Erasure(
        ref,
        now,
        already=False,
        clinical_kept=keep_clinical,
        raw_updates=len(raw_updates),
        messages=messages,
    )


async def _claim(session: AsyncSession, patient: Patient, now: datetime) -> bool:
    """Whoever sets ``erased_at`` first erases (another process may be purging too)."""
    claimed = await session.execute(
        update(Patient)
        .where(Patient.id == patient.id, Patient.erased_at.is_(None))
        .values(erased_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    patient.erased_at = now
    return True


async def _traces(
    session: AsyncSession, patient: Patient, record: Record, free_form: set[str]
) -> Traces:
    traces = Traces(ids={i for i in (patient.telegram_user_id, patient.telegram_chat_id) if i})
    traces.ids |= await caregiver_accounts(session, patient.id)
    traces.add_word(patient.display_name)
    for value in await _free_form_answers(session, record, free_form):
        traces.add_word(value)
    for words in await words_of(session, record.episodes):
        traces.add_word(words)
    return traces


async def _forget_account(session: AsyncSession, patient: Patient, record: Record) -> None:
    """The Telegram account, the name, and the links that could tie an account again."""
    if patient.telegram_user_id is not None:
        await session.execute(
            delete(LinkFailure).where(LinkFailure.telegram_user_id == patient.telegram_user_id)
        )
    await session.execute(delete(LinkToken).where(LinkToken.episode_id.in_(record.episodes)))
    patient.display_name = patient.telegram_user_id = patient.telegram_chat_id = None
    patient.awaiting = None
    await session.flush()


async def _record(session: AsyncSession, patient: Patient) -> Record:
    episodes = list(
        await session.scalars(select(Episode.id).where(Episode.patient_id == patient.id))
    )
    checkins = await session.scalars(select(CheckIn.id).where(CheckIn.episode_id.in_(episodes)))
    alerts = await session.scalars(select(Alert).where(Alert.episode_id.in_(episodes)))
    return Record(episodes, list(checkins), list(alerts))


async def _free_form_items(session: AsyncSession, record: Record) -> set[str]:
    """Items whose answers are the patient's own words or pictures, in any version used,
    and the words the bot asks for after a concern."""
    versions = await session.scalars(
        select(ProtocolVersion).where(
            ProtocolVersion.id.in_(
                select(CheckIn.protocol_version_id).where(CheckIn.id.in_(record.checkins))
            )
        )
    )
    return {
        item.id
        for version in versions
        for item in parse_protocol(version.content, version.source_name).items
        if item.type in FREE_FORM
    } | set(WORDS_ITEMS)


async def _free_form_answers(session: AsyncSession, record: Record, items: set[str]) -> list[str]:
    values = await session.scalars(
        select(Answer.value).where(
            Answer.checkin_id.in_(record.checkins), Answer.item_id.in_(items)
        )
    )
    return [str(value) for value in values]


async def _stop_follow_up(session: AsyncSession, record: Record, now: datetime) -> None:
    await session.execute(
        update(CheckIn)
        .where(CheckIn.id.in_(record.checkins), CheckIn.status.in_(UNFINISHED))
        .values(status=CheckInStatus.CANCELLED, lease_owner=None, lease_until=None)
    )
    await session.execute(
        update(Episode)
        .where(Episode.id.in_(record.episodes), Episode.status.in_(FOLLOWED))
        .values(status=EpisodeStatus.WITHDRAWN, updated_at=now)
    )


async def _cancel_messages(session: AsyncSession, record: Record, chat_id: int | None) -> int:
    """Nothing more goes to the patient, nor shows their photos or name to the team."""
    to_patient = OutboxMessage.chat_id == chat_id if chat_id is not None else false()
    result = await session.execute(
        update(OutboxMessage)
        .where(
            record.messages(chat_id),
            OutboxMessage.status == OutboxStatus.PENDING,
            or_(to_patient, OutboxMessage.purpose.in_(SHOWS_THE_PATIENT)),
        )
        .values(status=OutboxStatus.CANCELLED)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _empty_sent_messages(session: AsyncSession, record: Record, chat_id: int | None) -> None:
    """What went (or was meant to go) keeps its purpose and times, not its content; still
    pending are only the team's reminders and cards, which name no one but the reference."""
    await session.execute(
        update(OutboxMessage)
        .where(record.messages(chat_id), OutboxMessage.status != OutboxStatus.PENDING)
        .values(payload={}, last_error=None)
    )
    if chat_id is not None:
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.chat_id == chat_id).values(chat_id=NOBODY)
        )


async def _scrub_free_form(session: AsyncSession, record: Record, items: set[str]) -> None:
    if not items:
        return
    await session.execute(
        update(Answer)
        .where(Answer.checkin_id.in_(record.checkins), Answer.item_id.in_(items))
        .values(value=ERASED)
    )
    for row in await session.scalars(select(CheckIn).where(CheckIn.id.in_(record.checkins))):
        if row.conversation is not None:
            answers = _scrubbed(row.conversation.get("answers", {}), items)
            row.conversation = {**row.conversation, "answers": answers}
    for alert in record.alerts:
        alert.findings = tuple(
            replace(f, answers=_scrubbed(f.answers, items)) for f in alert.findings
        )


def _scrubbed(answers: Mapping[str, Any], items: set[str]) -> dict[str, Any]:
    return {item: ERASED if item in items else value for item, value in answers.items()}


async def _drop_clinical(
    session: AsyncSession, record: Record, chat_id: int | None, now: datetime
) -> None:
    """Everything but the reference goes; delivered cards are edited to say so."""
    for alert in record.alerts:
        if alert.card_chat_id is not None and alert.card_message_id is not None:
            enqueue(
                session,
                chat_id=alert.card_chat_id,
                now=now,
                purpose="alert_card_update",
                method="editMessageText",
                payload={
                    **message(f"Alert #{alert.id}: its record has been erased."),
                    "message_id": alert.card_message_id,
                    "reply_markup": {"inline_keyboard": []},
                },
            )
    alert_ids = [a.id for a in record.alerts]
    await session.execute(delete(OutboxMessage).where(record.messages(chat_id)))
    await session.execute(delete(AlertEvent).where(AlertEvent.alert_id.in_(alert_ids)))
    await session.execute(delete(Alert).where(Alert.id.in_(alert_ids)))
    await session.execute(delete(Answer).where(Answer.checkin_id.in_(record.checkins)))
    await session.execute(delete(CheckIn).where(CheckIn.id.in_(record.checkins)))
    await session.execute(delete(Episode).where(Episode.id.in_(record.episodes)))
