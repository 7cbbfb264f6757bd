"""An alert's card in its team's chat: built from the database each time it is drawn.

The card's state (acknowledged by whom, resolved how) is read from the alert, not carried
by whoever edits it, so that every edit of the card (new findings, a press, an outcome)
shows the whole truth.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.settings import TELEGRAM_LOGIN_URL
from bot.telegram.render.patient import Payload
from bot.telegram.render.team import OUTCOMES, TIER_LABELS, Trend, alert_card, console_button
from db.models import (
    Alert,
    AlertEvent,
    AlertStatus,
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    OutboxMessage,
    OutboxStatus,
    Patient,
    Staff,
    Team,
)

TREND_ITEMS = ("pain_back", "pain_leg", "walking")
TREND_CHECKINS = 5  # the last few answered check-ins: enough to see a direction


async def card_for(
    session: AsyncSession, alert: Alert, markup: dict[str, Any] | None = None
) -> tuple[int | None, Payload]:
    """The alert's card for the team chat (None: the team has no chat yet); ``markup``
    replaces its buttons while a nurse is choosing an outcome."""
    episode = await session.get_one(Episode, alert.episode_id)
    team = await session.get_one(Team, episode.team_id)
    patient = await session.get_one(Patient, episode.patient_id)
    pods = [f.pod for f in alert.findings if f.pod is not None]
    payload = alert_card(
        alert_id=alert.id,
        tier=alert.tier,
        patient_ref=patient.ref,
        patient_name=patient.display_name,
        procedure=episode.procedure,
        pod=pods[-1] if pods else None,
        findings=alert.findings,
        trend=await recent_trend(session, episode.id),
        photos=await _photos_shared(session, alert.id),
        answered_by=await answered_by(session, [f.checkin_id for f in alert.findings]),
        footer=await _footer(session, alert, ZoneInfo(team.timezone)),
        can_acknowledge=alert.status is AlertStatus.OPEN,
        can_resolve=alert.status is not AlertStatus.RESOLVED,
        console=console_button(team.id, session.info.get(TELEGRAM_LOGIN_URL)),
    )
    if markup is not None:
        payload["reply_markup"] = markup
    return team.chat_id, payload


async def recent_trend(session: AsyncSession, episode_id: int) -> Trend:
    """Pain and walking at the episode's last answered check-ins, oldest first."""
    checkins = list(
        (
            await session.execute(
                select(CheckIn.id, CheckIn.pod)
                .where(
                    CheckIn.episode_id == episode_id,
                    CheckIn.status.in_((CheckInStatus.COMPLETED, CheckInStatus.IN_PROGRESS)),
                )
                .order_by(CheckIn.due_at.desc())
                .limit(TREND_CHECKINS)
            )
        ).all()
    )
    pod_of = {checkin_id: pod for checkin_id, pod in checkins}
    answers = await session.execute(
        select(Answer.checkin_id, Answer.item_id, Answer.value).where(
            Answer.checkin_id.in_(pod_of), Answer.item_id.in_(TREND_ITEMS)
        )
    )
    trend: Trend = {item: [] for item in TREND_ITEMS}
    for checkin_id, item, value in sorted(answers.all(), key=lambda row: pod_of[row[0]]):
        trend[item].append((pod_of[checkin_id], value))
    return trend


async def answered_by(session: AsyncSession, checkin_ids: list[int | None]) -> frozenset[str]:
    """Who gave the answers of these check-ins: the patient, a caregiver, or both."""
    ids = [i for i in checkin_ids if i is not None]
    if not ids:
        return frozenset()
    found = await session.scalars(
        select(Answer.answered_by).where(Answer.checkin_id.in_(ids)).distinct()
    )
    return frozenset(found)


async def _photos_shared(session: AsyncSession, alert_id: int) -> int:
    counts = await session.scalars(
        select(AlertEvent.detail).where(
            AlertEvent.alert_id == alert_id, AlertEvent.kind == "photos_shared"
        )
    )
    return sum(int(detail.get("count", 0)) for detail in counts)


async def _footer(session: AsyncSession, alert: Alert, zone: ZoneInfo) -> str | None:
    lines = []
    if alert.acknowledged_at is not None and alert.status is not AlertStatus.OPEN:
        who = await _name(session, alert.acknowledged_by)
        lines.append(f"✅ Acknowledged by {who} at {_at(alert.acknowledged_at, zone)}")
    if alert.status is AlertStatus.RESOLVED and alert.outcome is not None:
        who = await _name(session, alert.resolved_by)
        graded = f" (Clavien–Dindo {alert.clavien_dindo})" if alert.clavien_dindo else ""
        outcome = OUTCOMES.get(alert.outcome, alert.outcome)
        lines.append(f"✔ Resolved by {who} at {_at(alert.resolved_at, zone)}: {outcome}{graded}")
    return "\n".join(lines) or None


async def _name(session: AsyncSession, staff_id: int | None) -> str:
    staff = await session.get(Staff, staff_id) if staff_id is not None else None
    return staff.name if staff is not None else "someone"


def _at(instant: datetime | None, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%H:%M}" if instant is not None else "?"


async def post_card(session: AsyncSession, alert: Alert, now: datetime) -> None:
    """Post the alert's card as a new message: people are notified (first card, or a
    higher tier). A card posted before is replaced by a pointer to the new one."""
    chat_id, payload = await card_for(session, alert)
    if chat_id is None:
        return
    if alert.card_message_id is not None:
        enqueue(
            session,
            chat_id=alert.card_chat_id or chat_id,
            now=now,
            purpose="alert_card_update",
            method="editMessageText",
            payload={
                "text": f"Alert #{alert.id} is now {TIER_LABELS.get(alert.tier, alert.tier)}: "
                "see its new card below.",
                "message_id": alert.card_message_id,
                "reply_markup": {"inline_keyboard": []},
            },
            priority=PRIORITY_ALERT,
            alert_id=alert.id,
            episode_id=alert.episode_id,
        )
    enqueue(
        session,
        chat_id=chat_id,
        now=now,
        purpose="alert_card",
        payload=payload,
        priority=PRIORITY_ALERT,
        episode_id=alert.episode_id,
        alert_id=alert.id,
    )


async def redraw_card(
    session: AsyncSession, alert: Alert, now: datetime, markup: dict[str, Any] | None = None
) -> None:
    """Show the alert's current state on its card without notifying anyone: the card is
    edited where it was delivered, or, not delivered yet, the queued card is brought up to
    date before it goes."""
    chat_id, payload = await card_for(session, alert, markup)
    if chat_id is None:
        return
    if alert.card_message_id is None:
        await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.alert_id == alert.id,
                OutboxMessage.purpose == "alert_card",
                OutboxMessage.status == OutboxStatus.PENDING,
            )
            .values(payload=payload)
        )
        return
    payload.setdefault("reply_markup", {"inline_keyboard": []})
    enqueue(
        session,
        chat_id=alert.card_chat_id or chat_id,
        now=now,
        purpose="alert_card_update",
        method="editMessageText",
        payload={**payload, "message_id": alert.card_message_id},
        priority=PRIORITY_ALERT,
        alert_id=alert.id,
        episode_id=alert.episode_id,
    )
