"""A patient's first contact and the follow-up's own life: link, welcome, consent, pause.

A link that cannot be used gets the same polite answer whatever the reason (unknown,
expired, used, another account), so that nothing about any patient is revealed.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import tokens
from bot.alerts.raising import follow_up_alert
from bot.context import PatientChat
from bot.i18n import t
from bot.patients.enrolment.welcome import welcome_text
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render import patient as render
from db.audit import UNKNOWN_TELEGRAM_USER, append
from db.models import (
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    LinkToken,
    Patient,
    ProtocolVersion,
    Team,
    TokenPurpose,
)


def today_pod(episode: Episode, patient: Patient, now: datetime) -> int:
    local_day: date = now.astimezone(ZoneInfo(patient.timezone)).date()
    return (local_day - episode.surgery_date).days


async def redeem_link(
    session: AsyncSession,
    token: str,
    telegram_user_id: int,
    chat_id: int,
    now: datetime,
    *,
    linked_to: Patient | None = None,
) -> PatientChat | None:
    """Link the Telegram account to the enrolled patient; None when the link cannot be used.

    An account already linked to a patient may only open that same patient's links (a new
    operation); another patient's link is refused without being used up.
    """
    other_patient = linked_to is not None and await _patient_of(session, token) != linked_to.id
    redeemed = (
        None
        if other_patient
        else await tokens.redeem(session, token, TokenPurpose.PATIENT, telegram_user_id, now)
    )
    episode = (
        await session.get(Episode, redeemed.episode_id)
        if redeemed and redeemed.episode_id
        else None
    )
    patient = await session.get_one(Patient, episode.patient_id) if episode is not None else None
    await append(
        session,
        at=now,
        actor_kind="patient" if patient is not None else "telegram_user",
        actor_ref=f"patient:{patient.ref}" if patient is not None else UNKNOWN_TELEGRAM_USER,
        action="patient.link",
        outcome="done" if patient is not None else "refused",
        origin="telegram",
        patient_ref=patient.ref if patient is not None else None,
    )
    if episode is None or patient is None:
        return None
    await _release_account(session, telegram_user_id, patient, now)
    patient.telegram_user_id = telegram_user_id
    patient.telegram_chat_id = chat_id
    return PatientChat(session, patient, episode, now)


async def _release_account(
    session: AsyncSession, telegram_user_id: int, patient: Patient, now: datetime
) -> None:
    """The account now follows ``patient``: an earlier patient record whose follow-up ended
    (one still followed never gets here: its account may open only its own links) lets it
    go, keeping its history."""
    earlier = await session.scalar(
        select(Patient).where(
            Patient.telegram_user_id == telegram_user_id, Patient.id != patient.id
        )
    )
    if earlier is None:
        return
    earlier.telegram_user_id = earlier.telegram_chat_id = None
    await session.flush()  # before the account is given to the new record (a unique id)
    await append(
        session,
        at=now,
        actor_kind="patient",
        actor_ref=f"patient:{patient.ref}",
        action="patient.unlink",
        origin="telegram",
        patient_ref=earlier.ref,
        detail={"reason": "the account opened the link of a new follow-up"},
    )


async def _patient_of(session: AsyncSession, token: str) -> int | None:
    patient_id: int | None = await session.scalar(
        select(Episode.patient_id)
        .join(LinkToken, LinkToken.episode_id == Episode.id)
        .where(LinkToken.token_hash == tokens.token_hash(token))
    )
    return patient_id


async def welcome(chat: PatientChat, catalogue: ProtocolCatalogue, emergency_number: str) -> None:
    """Who follows them and how fast the team answers, then the consent question."""
    version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
    team = await chat.session.get_one(Team, chat.episode.team_id)
    text = welcome_text(
        chat.language,
        team=team.name,
        procedure=chat.episode.procedure,
        protocol=catalogue.of(version),
        emergency_number=await chat.emergency_number(emergency_number),
    )
    chat.send(
        render.message(text),
        "welcome",
    )
    chat.send(render.consent(chat.language, chat.episode.id), "consent")


async def consent(chat: PatientChat, agreed: bool, next_checkin_time: str) -> None:
    episode, lang = chat.episode, chat.language
    if episode.status is not EpisodeStatus.INVITED:
        return  # answered already: a second press changes nothing
    episode.updated_at = chat.now
    if agreed:
        episode.status = EpisodeStatus.ACTIVE
        episode.consented_at = chat.now
        chat.send(
            render.message(
                t(lang, "consent_given", time=next_checkin_time, timezone=chat.patient.timezone),
                render.menu(lang),
            ),
            "consent_given",
        )
        chat.send(render.confirm_settings(lang, chat.patient.timezone), "confirm_settings")
        return
    episode.status = EpisodeStatus.DECLINED
    await _cancel_scheduled(chat)
    chat.send(render.message(t(lang, "consent_declined")), "consent_declined")
    await follow_up_alert(chat.session, episode_id=chat.episode.id, now=chat.now, cause="declined")


async def pause(chat: PatientChat) -> None:
    if chat.episode.status is not EpisodeStatus.ACTIVE:
        return
    chat.episode.status = EpisodeStatus.PAUSED
    chat.episode.updated_at = chat.now
    chat.send(render.message(t(chat.language, "paused")), "paused")
    await follow_up_alert(chat.session, episode_id=chat.episode.id, now=chat.now, cause="paused")


async def _cancel_scheduled(chat: PatientChat) -> None:
    await chat.session.execute(
        update(CheckIn)
        .where(CheckIn.episode_id == chat.episode.id, CheckIn.status == CheckInStatus.SCHEDULED)
        .values(status=CheckInStatus.CANCELLED)
    )
