"""Running an alert's escalation from its snapshot, one step at a time.

The chain is copied into the alert when it opens (a team's chain edited later does not
touch it). Each run moves ``next_escalation_at`` with a conditional update that names the
due time it saw: a second process, or a stale tick, finds it moved and does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.chains import alert_zone, stored_chain, team_zone
from bot.clock import Clock
from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render.patient import message
from db.models import (
    OPEN_ALERTS,
    Alert,
    AlertEvent,
    AlertStatus,
    Episode,
    Patient,
    Staff,
    StaffRole,
    Team,
    TeamMember,
)
from flows import Tier
from flows.escalation import (
    DEFAULT_CHAINS,
    ON_CALL,
    SURGEON,
    ChainStep,
    after,
    first_due,
    reprompt_interval,
    step_from_json,
)

log = logging.getLogger(__name__)


async def team_chain(session: AsyncSession, team_id: int, tier: Tier) -> tuple[ChainStep, ...]:
    """The team's chain for ``tier``, or the default one when the team set none."""
    return await stored_chain(session, team_id, tier) or DEFAULT_CHAINS.get(tier, ())


async def start(session: AsyncSession, alert: Alert, team_id: int, now: datetime) -> None:
    """Copy the team's chain for the alert's tier into it and set its first due step."""
    chain = await team_chain(session, team_id, alert.tier)
    alert.escalation = [step.to_json() for step in chain]
    alert.escalation_started_at = now
    due = first_due(chain, now, await team_zone(session, team_id))
    alert.escalation_step, alert.next_escalation_at = due if due is not None else (0, None)


async def reprompt_after(
    session: AsyncSession, catalogue: ProtocolCatalogue, alert: Alert
) -> timedelta:
    """How long the alert may stay acknowledged but unresolved, from the protocol version
    it was judged by (the episode's, for an alert the follow-up itself raised)."""
    version_id = alert.protocol_version_id
    if version_id is None:
        version_id = (await session.get_one(Episode, alert.episode_id)).protocol_version_id
    protocol = await catalogue.of_id(session, version_id)
    target = protocol.escalation.target(alert.tier)
    return reprompt_interval(target.contact_within_minutes if target else None)


class Escalator:
    """Runs due escalation steps of open alerts, and re-prompts acknowledged alerts that
    stay unresolved past their contact target."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogue: ProtocolCatalogue,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._catalogue = catalogue
        self._clock = clock

    async def tick(self, limit: int = 200) -> int:
        now = self._clock.now()
        async with self._sessions() as session:
            due = list(
                (
                    await session.execute(
                        select(Alert.id, Alert.next_escalation_at)
                        .where(
                            Alert.status.in_(OPEN_ALERTS),
                            Alert.next_escalation_at <= now,
                        )
                        .order_by(Alert.next_escalation_at)
                        .limit(limit)
                    )
                ).all()
            )
        done = 0
        for alert_id, seen in due:
            async with self._sessions.begin() as session:
                done += await self._run(session, alert_id, seen, now)
        return done

    async def _run(
        self, session: AsyncSession, alert_id: int, seen: datetime, now: datetime
    ) -> int:
        alert = await session.get_one(Alert, alert_id)
        if alert.status is AlertStatus.ACKNOWLEDGED:
            return await self._reprompt(session, alert, seen, now)
        chain = tuple(step_from_json(s) for s in alert.escalation)
        if not chain or alert.escalation_step >= len(chain):
            return 0
        position = alert.escalation_step
        started = alert.escalation_started_at or alert.opened_at
        following = after(chain, started, position, now, await alert_zone(session, alert))
        moved = await session.execute(
            update(Alert)
            .where(
                Alert.id == alert_id,
                Alert.status == AlertStatus.OPEN,
                Alert.next_escalation_at == seen,
            )
            .values(
                escalation_step=following[0] if following else len(chain),
                next_escalation_at=following[1] if following else None,
            )
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return 0  # acknowledged meanwhile, or another process ran this step
        step = chain[position]
        told = await self._notify(session, alert, step, now)
        session.add(
            AlertEvent(
                alert_id=alert_id,
                at=now,
                kind="escalated",
                detail={"step": position, "notify": step.notify, "staff": told},
            )
        )
        return 1

    async def _reprompt(
        self, session: AsyncSession, alert: Alert, seen: datetime, now: datetime
    ) -> int:
        """Ask again about an acknowledged alert nobody has resolved: in the team chat and
        to whoever acknowledged it, then again after the same time."""
        moved = await session.execute(
            update(Alert)
            .where(
                Alert.id == alert.id,
                Alert.status == AlertStatus.ACKNOWLEDGED,
                Alert.next_escalation_at == seen,
            )
            .values(next_escalation_at=now + await reprompt_after(session, self._catalogue, alert))
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:  # type: ignore[attr-defined]
            return 0
        episode = await session.get_one(Episode, alert.episode_id)
        patient = await session.get_one(Patient, episode.patient_id)
        team = await session.get_one(Team, episode.team_id)
        who = await session.get(Staff, alert.acknowledged_by) if alert.acknowledged_by else None
        assert alert.acknowledged_at is not None
        minutes = int((now - alert.acknowledged_at).total_seconds() // 60)
        ago = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"
        text = (
            f"Alert #{alert.id} ({alert.tier}) for patient {patient.ref} was acknowledged"
            f"{f' by {who.name}' if who else ''} {ago} ago and is not resolved yet. "
            "Once the patient has been contacted, press Resolve on its card and record the "
            "outcome."
        )
        chats = [team.chat_id] if team.chat_id is not None else []
        if who is not None and who.active and who.telegram_user_id is not None:
            chats.append(who.telegram_user_id)
        for chat_id in chats:
            enqueue(
                session,
                chat_id=chat_id,
                now=now,
                purpose="reprompt",
                payload=message(text),
                priority=PRIORITY_ALERT,
                alert_id=alert.id,
            )
        session.add(
            AlertEvent(
                alert_id=alert.id,
                at=now,
                kind="reprompted",
                detail={"staff": [who.id] if who is not None else []},
            )
        )
        return 1

    async def _notify(
        self, session: AsyncSession, alert: Alert, step: ChainStep, now: datetime
    ) -> list[int]:
        episode = await session.get_one(Episode, alert.episode_id)
        patient = await session.get_one(Patient, episode.patient_id)
        minutes = int((now - alert.opened_at).total_seconds() // 60)
        text = (
            f"Alert #{alert.id} ({alert.tier}) for patient {patient.ref} has not been "
            f"acknowledged after {minutes} min. Please look at it in the team's chat."
        )
        if step.notify not in (ON_CALL, SURGEON):  # a reminder in the team's chat
            team = await session.get_one(Team, episode.team_id)
            if team.chat_id is not None:
                enqueue(
                    session,
                    chat_id=team.chat_id,
                    now=now,
                    purpose="escalation",
                    payload=message(text),
                    priority=PRIORITY_ALERT,
                    alert_id=alert.id,
                )
            return []
        query = (
            select(Staff)
            .join(TeamMember, TeamMember.staff_id == Staff.id)
            .where(
                TeamMember.team_id == episode.team_id,
                Staff.active.is_(True),
                Staff.telegram_user_id.is_not(None),
            )
        )
        if step.notify == ON_CALL:
            query = query.where(TeamMember.on_call.is_(True))
        else:
            query = query.where(TeamMember.role == StaffRole.SURGEON)
        told = []
        for member in await session.scalars(query):
            assert member.telegram_user_id is not None
            enqueue(
                session,
                chat_id=member.telegram_user_id,
                now=now,
                purpose="escalation",
                payload=message(text),
                priority=PRIORITY_ALERT,
                alert_id=alert.id,
            )
            told.append(member.id)
        if not told:
            log.warning("alert %s: nobody to notify for step %s", alert.id, step.notify)
        return told
