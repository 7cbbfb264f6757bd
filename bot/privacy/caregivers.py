"""A patient's caregivers are erased with the patient: their rows, their links, and every
trace of their accounts in the outbox. The audit log keeps their ids only; answers still
say that a caregiver gave them."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Caregiver, LinkFailure, LinkToken, OutboxMessage, OutboxStatus


async def caregiver_accounts(session: AsyncSession, patient_id: int) -> set[int]:
    """Every Telegram account that acts or acted for the patient (a removed caregiver's
    account is known by the link it used). A private chat's id is its account's."""
    caregivers = select(Caregiver.id).where(Caregiver.patient_id == patient_id)
    now_linked = await session.execute(
        select(Caregiver.telegram_user_id, Caregiver.telegram_chat_id).where(
            Caregiver.patient_id == patient_id
        )
    )
    used = await session.scalars(
        select(LinkToken.used_by_telegram_id).where(LinkToken.caregiver_id.in_(caregivers))
    )
    return {i for row in now_linked.tuples() for i in row if i} | {i for i in used if i}


async def forget_caregivers(
    session: AsyncSession,
    patient_id: int,
    accounts: set[int],
    *,
    keep_clinical: bool,
    nobody: int,
) -> None:
    """Nothing more goes to the caregivers; what went keeps its purpose and times, not its
    content nor whom it went to (or goes, with the clinical record)."""
    if accounts:
        to_them = OutboxMessage.chat_id.in_(accounts)
        await session.execute(
            update(OutboxMessage)
            .where(to_them, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.CANCELLED)
        )
        if keep_clinical:
            await session.execute(
                update(OutboxMessage).where(to_them).values(payload={}, last_error=None)
            )
            await session.execute(update(OutboxMessage).where(to_them).values(chat_id=nobody))
        else:
            await session.execute(delete(OutboxMessage).where(to_them))
        await session.execute(delete(LinkFailure).where(LinkFailure.telegram_user_id.in_(accounts)))
    caregivers = select(Caregiver.id).where(Caregiver.patient_id == patient_id)
    await session.execute(delete(LinkToken).where(LinkToken.caregiver_id.in_(caregivers)))
    await session.execute(delete(Caregiver).where(Caregiver.patient_id == patient_id))
