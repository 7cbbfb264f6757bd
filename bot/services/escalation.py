"""Running an alert's escalation from its snapshot, one step at a time.

The chain is copied into the alert when it opens (a team's chain edited later does not
touch it). Each run moves ``next_escalation_at`` with a conditional update that names the
due time it saw: a second process, or a stale tick, finds it moved and does nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.render.patient import message
from bot.services.chains import alert_zone, stored_chain, team_zone
from db.models import (
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
    Step,
    after,
    first_due,
    step_from_json,
)

log = logging.getLogger(__name__)


async def team_chain(session: AsyncSession, team_id: int, tier: Tier) -> tuple[Step, ...]:
    """The team's chain for ``tier``, or the default one when the team set none."""
    return await stored_chain(session, team_id, tier) or DEFAULT_CHAINS.get(tier, ())


async def start(session: AsyncSession, alert: Alert, team_id: int, now: datetime) -> None:
    """Copy the team's chain for the alert's tier into it and set its first due step."""
    chain = await team_chain(session, team_id, Tier(alert.tier))
    alert.escalation = [step.to_json() for step in chain]
    due = first_due(chain, now, await team_zone(session, team_id))
    alert.escalation_step, alert.next_escalation_at = due if due is not None else (0, None)


class Escalator:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def tick(self, limit: int = 200) -> int:
        now = self._clock.now()
        async with self._sessions() as session:
            due = list(
                (
                    await session.execute(
                        select(Alert.id, Alert.next_escalation_at)
                        .where(Alert.status == AlertStatus.OPEN, Alert.next_escalation_at <= now)
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
        chain = tuple(step_from_json(s) for s in alert.escalation)
        if not chain or alert.escalation_step >= len(chain):
            return 0
        position = alert.escalation_step
        following = after(chain, alert.opened_at, position, now, await alert_zone(session, alert))
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

    async def _notify(
        self, session: AsyncSession, alert: Alert, step: Step, now: datetime
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
            query = query.where(Staff.role == StaffRole.SURGEON)
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
