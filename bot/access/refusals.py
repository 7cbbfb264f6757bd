"""Refused attempts, audited under who the database says is behind a Telegram account.

Staff and patients are named by their pseudonymous handles (``staff:ID``, ``patient:REF``);
anyone else as an unknown account: an append-only log must not keep a Telegram id it could
never erase.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.audit import UNKNOWN_TELEGRAM_USER, append
from db.models import Patient, Staff


async def telegram_actor(session: AsyncSession, telegram_user_id: int | None) -> tuple[str, str]:
    """(actor kind, actor reference) for the audit log."""
    if telegram_user_id is not None:
        staff = await session.scalar(
            select(Staff.id).where(Staff.telegram_user_id == telegram_user_id)
        )
        if staff is not None:
            return "staff", f"staff:{staff}"
        patient = await session.scalar(
            select(Patient.ref).where(Patient.telegram_user_id == telegram_user_id)
        )
        if patient is not None:
            return "patient", f"patient:{patient}"
    return "telegram_user", UNKNOWN_TELEGRAM_USER


async def refuse(
    session: AsyncSession,
    *,
    telegram_user_id: int | None,
    action: str,
    now: datetime,
    patient_ref: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    kind, ref = await telegram_actor(session, telegram_user_id)
    await append(
        session,
        at=now,
        actor_kind=kind,
        actor_ref=ref,
        action=action,
        outcome="refused",
        origin="telegram",
        patient_ref=patient_ref,
        detail=detail,
    )
