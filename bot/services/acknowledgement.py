"""Acknowledging an alert: the first press by the team's staff wins, everyone else is told.

What the button says is only a request: who may act is decided from the database (linked,
active staff of the alert's team), and every attempt, granted or refused, is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.i18n import t
from bot.render.patient import message
from bot.services.alerts import card_for
from db.audit import append
from db.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Episode,
    OutboxMessage,
    Patient,
    Staff,
    Team,
    TeamMember,
)


@dataclass(frozen=True)
class Answer:
    """What the person who pressed is told (a short notice on their screen)."""

    text: str
    granted: bool


async def _team_staff(session: AsyncSession, telegram_user_id: int, team_id: int) -> Staff | None:
    staff: Staff | None = await session.scalar(
        select(Staff)
        .join(TeamMember, TeamMember.staff_id == Staff.id)
        .where(
            Staff.telegram_user_id == telegram_user_id,
            Staff.active.is_(True),
            TeamMember.team_id == team_id,
        )
    )
    return staff


async def acknowledge(
    session: AsyncSession, alert_id: int, telegram_user_id: int, now: datetime
) -> Answer:
    alert = await session.get(Alert, alert_id)
    episode = await session.get(Episode, alert.episode_id) if alert is not None else None
    staff = (
        await _team_staff(session, telegram_user_id, episode.team_id)
        if episode is not None
        else None
    )
    patient = await session.get(Patient, episode.patient_id) if episode is not None else None

    async def audit(outcome: str) -> None:
        # A refused attempt names no patient: the presser may not know who it is.
        await append(
            session,
            at=now,
            actor_kind="staff" if staff is not None else "telegram_user",
            actor_ref=f"staff:{staff.id}" if staff is not None else f"tg:{telegram_user_id}",
            action="alert.acknowledge",
            outcome=outcome,
            origin="telegram",
            patient_ref=patient.ref if patient is not None and staff is not None else None,
            detail={"alert": alert_id},
        )

    if alert is None or episode is None or staff is None:
        await audit("refused")
        return Answer("Only staff of this patient's care team can acknowledge.", granted=False)
    won = await session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status == AlertStatus.OPEN)
        .values(status=AlertStatus.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=staff.id)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(alert)
        winner = await session.get(Staff, alert.acknowledged_by) if alert.acknowledged_by else None
        await audit("already_done")
        who = winner.name if winner is not None else "someone"
        return Answer(f"Already acknowledged by {who}.", granted=False)
    await session.refresh(alert)
    session.add(
        AlertEvent(alert_id=alert.id, at=now, kind="acknowledged", staff_id=staff.id, detail={})
    )
    await audit("done")
    team = await session.get_one(Team, episode.team_id)
    local = now.astimezone(ZoneInfo(team.timezone))
    footer = f"✅ Acknowledged by {staff.name} at {local:%H:%M}"
    chat_id, card = await card_for(session, alert, footer)
    if chat_id is not None and alert.card_message_id is not None:
        enqueue(
            session,
            chat_id=alert.card_chat_id or chat_id,
            now=now,
            purpose="alert_card_update",
            method="editMessageText",
            payload={
                **card,
                "message_id": alert.card_message_id,
                "reply_markup": {"inline_keyboard": []},
            },
            priority=PRIORITY_ALERT,
            alert_id=alert.id,
            episode_id=episode.id,
        )
    if patient is not None and patient.telegram_chat_id is not None:
        enqueue(
            session,
            chat_id=patient.telegram_chat_id,
            now=now,
            purpose="acknowledged",
            payload=message(t(patient.language, "nurse_has_seen")),
            priority=PRIORITY_ALERT,
            episode_id=episode.id,
            alert_id=alert.id,
        )
    return Answer(f"Acknowledged: alert #{alert.id}.", granted=True)


async def remember_card(
    session: AsyncSession, sent: object, _verdict: object, _now: datetime
) -> None:
    """Delivery hook: keep where the alert's card is, so it can be edited later."""

    assert isinstance(sent, OutboxMessage)
    if sent.purpose != "alert_card" or sent.alert_id is None or sent.telegram_message_id is None:
        return
    await session.execute(
        update(Alert)
        .where(Alert.id == sent.alert_id)
        .values(card_chat_id=sent.chat_id, card_message_id=sent.telegram_message_id)
    )
