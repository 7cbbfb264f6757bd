"""Raising alerts for the care team, in the same transaction as what caused them.

One alert is open per episode at a time: new findings are added to it (its card is redrawn),
and a higher tier raises it (a new card notifies the team again). Each alert keeps the
protocol version it was judged by and a snapshot of its team's escalation chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts import escalation
from bot.alerts.card import post_card, redraw_card
from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.i18n import catalogue, t
from db.models import OPEN_ALERTS, Alert, AlertEvent, AlertStatus, Episode, Patient, Team
from flows import Finding, Tier


async def raise_alert(
    session: AsyncSession,
    *,
    episode_id: int,
    now: datetime,
    cause: str,
    findings: Iterable[Finding],
    checkin_id: int | None = None,
    protocol_version_id: int | None = None,
    photos: Sequence[str] = (),
    pod: int | None = None,
) -> Alert | None:
    """Open an alert, or add to the episode's open one; None when there is nothing to add.

    A new alert, or a higher tier, posts a card (people are notified); new findings of the
    same tier redraw the card in place. A higher tier also asks for acknowledgement again:
    whoever acknowledged an amber has not seen the red that followed it.
    """
    new = [f for f in findings if f.tier is not Tier.GREEN]
    if not new:
        return None
    tier = max((f.tier for f in new), key=lambda t: t.rank)
    alert = await session.scalar(
        select(Alert)
        .where(Alert.episode_id == episode_id, Alert.status.in_(OPEN_ALERTS))
        .order_by(Alert.id.desc())
        .limit(1)
        .with_for_update()
    )
    if alert is None:
        alert = Alert(
            episode_id=episode_id,
            checkin_id=checkin_id,
            protocol_version_id=protocol_version_id,
            tier=tier,
            cause=cause,
            findings=tuple(new),
            status=AlertStatus.OPEN,
            opened_at=now,
            updated_at=now,
            escalation=[],
            escalation_step=0,
        )
        session.add(alert)
        await session.flush()
        await escalation.start(session, alert, await _team_id(session, episode_id), now)
        _event(session, alert, now, "opened", {"tier": tier.value, "rules": _rules(new)})
        _photos_event(session, alert, now, photos, pod)
        await post_card(session, alert, now)
        await _share_photos(session, alert, photos, pod, now)
        return alert
    known = {(f.rule, f.checkin_id) for f in alert.findings}
    added = [f for f in new if (f.rule, f.checkin_id) not in known]
    if not added and not photos:
        return alert
    alert.findings = (*alert.findings, *added)
    alert.updated_at = now
    if added:
        _event(session, alert, now, "findings_added", {"rules": _rules(added)})
    _photos_event(session, alert, now, photos, pod)
    if tier.rank > alert.tier.rank:
        _event(session, alert, now, "tier_raised", {"from": alert.tier.value, "to": tier.value})
        alert.tier = tier
        alert.status = AlertStatus.OPEN
        alert.acknowledged_at = alert.acknowledged_by = None
        await escalation.start(session, alert, await _team_id(session, episode_id), now)
        await session.flush()
        await post_card(session, alert, now)
    else:
        await session.flush()
        await redraw_card(session, alert, now)
    await _share_photos(session, alert, photos, pod, now)
    return alert


async def emergency_open(session: AsyncSession, episode_id: int) -> bool:
    """Whether the episode's open alert is an emergency: while it is, nothing the patient is
    told may say otherwise (no "on track", no "a nurse will call you")."""
    tier = await session.scalar(
        select(Alert.tier).where(Alert.episode_id == episode_id, Alert.status.in_(OPEN_ALERTS))
    )
    return tier is Tier.RED_EMERGENCY


async def follow_up_alert(
    session: AsyncSession, *, episode_id: int, now: datetime, cause: str
) -> Alert | None:
    """An amber alert raised by the follow-up itself (declined, paused, unreachable), with
    its reason in every language of the bot."""
    reason = {lang: t(lang, f"alert_{cause}") for lang in catalogue().languages}
    finding = Finding(cause, Tier.AMBER, reason=reason)
    return await raise_alert(
        session, episode_id=episode_id, now=now, cause=cause, findings=[finding]
    )


async def _share_photos(
    session: AsyncSession, alert: Alert, file_ids: Sequence[str], pod: int | None, now: datetime
) -> None:
    """The patient's photos from a check-in that is part of an alert go to the team too,
    right after its card."""
    episode = await session.get_one(Episode, alert.episode_id)
    team = await session.get_one(Team, episode.team_id)
    patient = await session.get_one(Patient, episode.patient_id)
    if team.chat_id is None:
        return
    at_pod = f" · POD {pod}" if pod is not None else ""
    for file_id in file_ids:
        enqueue(
            session,
            chat_id=team.chat_id,
            now=now,
            purpose="alert_photo",
            method="sendPhoto",
            payload={"photo": file_id, "caption": f"{patient.ref}{at_pod} · alert #{alert.id}"},
            priority=PRIORITY_ALERT,
            episode_id=episode.id,
            alert_id=alert.id,
        )


def _photos_event(
    session: AsyncSession, alert: Alert, now: datetime, photos: Sequence[str], pod: int | None
) -> None:
    if photos:
        _event(session, alert, now, "photos_shared", {"count": len(photos), "pod": pod})


async def _team_id(session: AsyncSession, episode_id: int) -> int:
    return (await session.get_one(Episode, episode_id)).team_id


def _rules(findings: Sequence[Finding]) -> list[str]:
    return [f.rule for f in findings]


def _event(
    session: AsyncSession, alert: Alert, now: datetime, kind: str, detail: dict[str, Any]
) -> None:
    session.add(AlertEvent(alert_id=alert.id, at=now, kind=kind, detail=detail))
