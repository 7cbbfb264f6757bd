"""A caregiver opens their link: their account is linked to act for the patient.

A link that cannot be used (unknown, expired, used already, withdrawn) gets the same answer
as any other link, and counts against guessing. A patient's own account, or one already
acting for a patient, is told so and the link is not used up: it still works for the
person it was meant for.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import link_guard, tokens
from bot.access.visitors import Visit, followed_episode
from bot.context import PatientChat
from bot.i18n import t
from bot.patients.caregivers.circle import MAX_CAREGIVERS, linked
from bot.telegram.render import patient as render
from db.audit import UNKNOWN_TELEGRAM_USER, append
from db.models import Caregiver, Patient, TokenPurpose


async def open_link(visit: Visit, token: str) -> None:
    session, now = visit.session, visit.now
    user_id, chat_id = visit.sender.telegram_user_id, visit.sender.chat_id
    assert user_id is not None and chat_id is not None
    if visit.chat is not None:  # the patient's own account (or another patient's)
        await _refused(visit, "a patient's own account", visit.chat.patient.ref)
        visit.chat.send(render.message(t(visit.chat.language, "caregiver_link_own")), "reply")
        return
    if visit.caregiving is not None:
        await _refused(visit, "already a caregiver", visit.caregiving.patient.ref)
        helping = visit.caregiving
        helping.send(render.message(t(helping.language, "caregiver_already")), "reply")
        return
    redeemed = await tokens.redeem(session, token, TokenPurpose.CAREGIVER, user_id, now)
    caregiver = (
        await session.get(Caregiver, redeemed.caregiver_id)
        if redeemed is not None and redeemed.caregiver_id is not None
        else None
    )
    patient = await session.get(Patient, caregiver.patient_id) if caregiver else None
    episode = await followed_episode(session, patient.id) if patient else None
    if (
        caregiver is None
        or patient is None
        or episode is None
        or caregiver.removed_at is not None
        or len(await linked(session, patient.id)) >= MAX_CAREGIVERS
    ):
        await _refused(visit, "link cannot be used", patient.ref if patient else None)
        link_guard.failed(session, user_id, token, now)
        visit.tell("start_link_invalid")
        return
    await _let_go_earlier(session, user_id, now)
    caregiver.telegram_user_id, caregiver.telegram_chat_id = user_id, chat_id
    caregiver.linked_at = now
    await append(
        session,
        at=now,
        actor_kind="caregiver",
        actor_ref=f"caregiver:{caregiver.id}",
        action="caregiver.link",
        origin="telegram",
        patient_ref=patient.ref,
        detail={"caregiver": caregiver.id},
    )
    helping = PatientChat(session, patient, episode, now, caregiver=caregiver)
    helping.send(render.message(t(patient.language, "caregiver_welcome")), "caregiver_welcome")
    told = PatientChat(session, patient, episode, now)
    told.send(render.message(t(patient.language, "caregiver_joined")), "caregiver_joined")


async def _let_go_earlier(session: AsyncSession, user_id: int, now: datetime) -> None:
    """An account that acted for a patient whose follow-up ended is let go first (an
    account acts for one patient at a time)."""
    earlier = await session.scalar(select(Caregiver).where(Caregiver.telegram_user_id == user_id))
    if earlier is not None:
        earlier.telegram_user_id = earlier.telegram_chat_id = None
        earlier.removed_at = earlier.removed_at or now
        await session.flush()  # before the account is given to the new caregiver (unique)


async def _refused(visit: Visit, reason: str, patient_ref: str | None) -> None:
    await append(
        visit.session,
        at=visit.now,
        actor_kind="telegram_user",
        actor_ref=UNKNOWN_TELEGRAM_USER,
        action="caregiver.link",
        outcome="refused",
        origin="telegram",
        patient_ref=patient_ref,
        detail={"reason": reason},
    )
