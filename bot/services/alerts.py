"""Raising alerts for the care team, in the same transaction as what caused them.

One alert is open per episode at a time: new findings are added to it, and a higher tier
raises it (the care-team side re-notifies then). How alerts reach the team and escalate is
decided there; here they are recorded, with the protocol version they were judged by.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.i18n import catalogue, t
from bot.render.patient import Payload
from bot.render.team import alert_card
from bot.services import escalation
from db.models import Alert, AlertEvent, AlertStatus, Episode, Patient, Team
from flows import Finding, Tier

OPEN_ALERTS = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)


def finding_record(finding: Finding, answers: Mapping[str, object]) -> dict[str, Any]:
    """A finding as stored on the alert: which rule, why, and the answers that fired it."""
    return {
        "rule": finding.rule,
        "tier": finding.tier.value,
        "items": list(finding.items),
        "reason": dict(finding.reason),
        "answers": {item: answers[item] for item in finding.items if item in answers},
    }


async def raise_alert(
    session: AsyncSession,
    *,
    episode_id: int,
    now: datetime,
    cause: str,
    findings: Iterable[dict[str, Any]],
    checkin_id: int | None = None,
    protocol_version_id: int | None = None,
) -> Alert | None:
    """Open an alert, or add to the episode's open one; None when there is nothing to add."""
    new = [f for f in findings if Tier(f["tier"]) is not Tier.GREEN]
    if not new:
        return None
    tier = max((Tier(f["tier"]) for f in new), key=lambda t: t.rank)
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
            tier=tier.value,
            cause=cause,
            findings=new,
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
        await _notify_team(session, alert, now)
        return alert
    known = {(f["rule"], f.get("checkin_id")) for f in alert.findings}
    added = [f for f in new if (f["rule"], f.get("checkin_id")) not in known]
    if not added:
        return alert
    alert.findings = [*alert.findings, *added]
    alert.updated_at = now
    _event(session, alert, now, "findings_added", {"rules": _rules(added)})
    if tier.rank > Tier(alert.tier).rank:
        _event(session, alert, now, "tier_raised", {"from": alert.tier, "to": tier.value})
        alert.tier = tier.value
        if alert.status is AlertStatus.OPEN:  # the higher tier's chain, from now
            await escalation.start(session, alert, await _team_id(session, episode_id), now)
        await _notify_team(session, alert, now)
    return alert


async def card_for(
    session: AsyncSession, alert: Alert, footer: str | None = None
) -> tuple[int | None, Payload]:
    """The alert's card for the team chat (None: the team has no chat yet)."""
    episode = await session.get_one(Episode, alert.episode_id)
    team = await session.get_one(Team, episode.team_id)
    patient = await session.get_one(Patient, episode.patient_id)
    pods = [f["pod"] for f in alert.findings if "pod" in f]
    payload = alert_card(
        alert_id=alert.id,
        tier=alert.tier,
        patient_ref=patient.ref,
        patient_name=patient.display_name,
        procedure=episode.procedure,
        pod=pods[-1] if pods else None,
        findings=alert.findings,
        footer=footer,
        can_acknowledge=alert.status is AlertStatus.OPEN,
        can_resolve=alert.status is not AlertStatus.RESOLVED,
    )
    return team.chat_id, payload


async def _notify_team(session: AsyncSession, alert: Alert, now: datetime) -> None:
    """Post the alert's card in the team's chat, in the transaction that raised it."""
    chat_id, payload = await card_for(session, alert)
    if chat_id is None:
        return
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


async def follow_up_alert(
    session: AsyncSession, *, episode_id: int, now: datetime, cause: str
) -> Alert | None:
    """An amber alert raised by the follow-up itself (declined, paused, unreachable), with
    its reason in every language of the bot."""
    reason = {lang: t(lang, f"alert_{cause}") for lang in catalogue().languages}
    finding = {"rule": cause, "tier": Tier.AMBER.value, "items": [], "reason": reason}
    return await raise_alert(
        session, episode_id=episode_id, now=now, cause=cause, findings=[finding]
    )


async def share_photos(
    session: AsyncSession, alert: Alert, file_ids: list[str], pod: int, now: datetime
) -> None:
    """The patient's photos from a check-in that is part of an alert go to the team too."""
    episode = await session.get_one(Episode, alert.episode_id)
    team = await session.get_one(Team, episode.team_id)
    patient = await session.get_one(Patient, episode.patient_id)
    if team.chat_id is None:
        return
    for file_id in file_ids:
        enqueue(
            session,
            chat_id=team.chat_id,
            now=now,
            purpose="alert_photo",
            method="sendPhoto",
            payload={"photo": file_id, "caption": f"{patient.ref} · POD {pod} · alert #{alert.id}"},
            priority=PRIORITY_ALERT,
            episode_id=episode.id,
            alert_id=alert.id,
        )


async def _team_id(session: AsyncSession, episode_id: int) -> int:
    return (await session.get_one(Episode, episode_id)).team_id


def _rules(findings: list[dict[str, Any]]) -> list[str]:
    return [f["rule"] for f in findings]


def _event(
    session: AsyncSession, alert: Alert, now: datetime, kind: str, detail: dict[str, Any]
) -> None:
    session.add(AlertEvent(alert_id=alert.id, at=now, kind=kind, detail=detail))
