"""What staff do with an alert: acknowledge it, then resolve it with an outcome.

What a button says is only a request: who may act is decided from the database (linked,
active staff of the alert's team), and every attempt, granted or refused, is audited. Each
step is a conditional update, so when two people press at once exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import telegram_actor
from bot.alerts.card import redraw_card
from bot.alerts.escalation import reprompt_after
from bot.delivery.outbox import PRIORITY_ALERT, enqueue
from bot.delivery.outcomes import Classified
from bot.i18n import t
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render.patient import message
from bot.telegram.render.team import GRADES, OUTCOMES, grade_choices, outcome_choices
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
from flows import Tier

REFUSED = "Only staff of this patient's care team can do this."
# What the patient is told when their alert is acknowledged: after an emergency, "we will
# contact you" must not sound like "wait for us".
_SEEN = {False: "nurse_has_seen", True: "nurse_has_seen_emergency"}


@dataclass(frozen=True)
class ConsoleUser:
    """Staff signed in to the web console: known by their staff id and session, not by a
    Telegram account (the buttons' presser is a Telegram user id)."""

    staff_id: int


# Who pressed: a Telegram user id (a card's button) or a console user (the worklist's).
Presser = int | ConsoleUser


@dataclass(frozen=True)
class Notice:
    """What the person who pressed is told (a short notice on their screen)."""

    text: str
    granted: bool


@dataclass
class Press:
    """One press of an alert's button, with whoever the database says is behind it."""

    session: AsyncSession
    alert_id: int
    presser: Presser
    now: datetime
    alert: Alert | None = None
    episode: Episode | None = None
    staff: Staff | None = None
    patient: Patient | None = None

    async def load(self) -> bool:
        """True when the presser is linked, active staff of the alert's team."""
        self.alert = await self.session.get(Alert, self.alert_id)
        if self.alert is not None:
            self.episode = await self.session.get_one(Episode, self.alert.episode_id)
            self.patient = await self.session.get_one(Patient, self.episode.patient_id)
            who = (
                Staff.id == self.presser.staff_id
                if isinstance(self.presser, ConsoleUser)
                else Staff.telegram_user_id == self.presser
            )
            self.staff = await self.session.scalar(
                select(Staff)
                .join(TeamMember, TeamMember.staff_id == Staff.id)
                .where(who, Staff.active.is_(True), TeamMember.team_id == self.episode.team_id)
            )
        return self.staff is not None

    @property
    def origin(self) -> str:
        return "console" if isinstance(self.presser, ConsoleUser) else "telegram"

    async def audit(self, action: str, result: str, **detail: Any) -> None:
        # A refused attempt names no patient: the presser may not know who it is.
        staff = self.staff
        if staff is not None:
            kind, who = "staff", f"staff:{staff.id}"
        elif isinstance(self.presser, ConsoleUser):
            kind, who = "staff", f"staff:{self.presser.staff_id}"
        else:
            kind, who = await telegram_actor(self.session, self.presser)
        await append(
            self.session,
            at=self.now,
            actor_kind=kind,
            actor_ref=who,
            action=action,
            outcome=result,
            origin=self.origin,
            patient_ref=self.patient.ref if self.patient and staff else None,
            detail={"alert": self.alert_id, **detail},
        )

    async def redraw_card(self, markup: dict[str, Any] | None = None) -> None:
        assert self.alert is not None
        await redraw_card(self.session, self.alert, self.now, markup)

    async def by_whom(self, staff_id: int | None) -> str:
        winner = await self.session.get(Staff, staff_id) if staff_id else None
        return winner.name if winner is not None else "someone"


async def acknowledge(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    alert_id: int,
    presser: Presser,
    now: datetime,
) -> Notice:
    press = Press(session, alert_id, presser, now)
    if not await press.load():
        await press.audit("alert.acknowledge", "refused")
        return Notice(REFUSED, granted=False)
    assert press.alert is not None and press.staff is not None and press.patient is not None
    won = await session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == AlertStatus.OPEN)
        .values(
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_at=now,
            acknowledged_by=press.staff.id,
            # From now on the escalation clock only asks for the alert to be resolved.
            next_escalation_at=now + await reprompt_after(session, catalogue, press.alert),
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(press.alert)
    if won.rowcount != 1:  # type: ignore[attr-defined]
        await press.audit("alert.acknowledge", "already_done")
        who = await press.by_whom(press.alert.acknowledged_by)
        return Notice(f"Already acknowledged by {who}.", granted=False)
    session.add(
        AlertEvent(
            alert_id=alert_id, at=now, kind="acknowledged", staff_id=press.staff.id, detail={}
        )
    )
    await press.audit("alert.acknowledge", "done")
    await press.redraw_card()
    if press.patient.telegram_chat_id is not None:
        enqueue(
            session,
            chat_id=press.patient.telegram_chat_id,
            now=now,
            purpose="acknowledged",
            payload=message(
                t(press.patient.language, _SEEN[press.alert.tier is Tier.RED_EMERGENCY])
            ),
            priority=PRIORITY_ALERT,
            episode_id=press.alert.episode_id,
            alert_id=alert_id,
        )
    return Notice(f"Acknowledged: alert #{alert_id}.", granted=True)


async def choose_outcome(
    session: AsyncSession, alert_id: int, presser: Presser, now: datetime, outcome: str | None
) -> Notice:
    """Resolve, step by step: outcome first, then (for anything but a false alarm) the
    Clavien–Dindo grade, shown as the card's buttons."""
    press = Press(session, alert_id, presser, now)
    allowed = await press.load() and (outcome is None or outcome in OUTCOMES)
    if not allowed or press.alert is None or press.alert.status is AlertStatus.RESOLVED:
        await press.audit("alert.resolve", "refused" if not allowed else "already_done")
        return Notice(REFUSED if not allowed else "This alert is already resolved.", granted=False)
    if outcome is None:
        await press.redraw_card(outcome_choices(alert_id))
        return Notice("Choose the outcome.", granted=True)
    if outcome == "false_alarm":
        return await resolve(session, alert_id, presser, now, outcome, "none")
    await press.redraw_card(grade_choices(alert_id, outcome))
    return Notice("Was it a complication? Choose its Clavien–Dindo grade.", granted=True)


async def resolve(
    session: AsyncSession,
    alert_id: int,
    presser: Presser,
    now: datetime,
    outcome: str,
    grade: str,
    note: str | None = None,
) -> Notice:
    """Resolve with an outcome and a Clavien–Dindo grade ("none": no complication), and a
    note for the alert's timeline (the console's form has one; a button has none)."""
    press = Press(session, alert_id, presser, now)
    if not await press.load() or outcome not in OUTCOMES or grade not in GRADES:
        await press.audit("alert.resolve", "refused")
        return Notice(REFUSED, granted=False)
    assert press.alert is not None and press.staff is not None
    clavien_dindo = None if grade == "none" else grade
    won = await session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status != AlertStatus.RESOLVED)
        .values(
            status=AlertStatus.RESOLVED,
            resolved_at=now,
            resolved_by=press.staff.id,
            outcome=outcome,
            clavien_dindo=clavien_dindo,
            next_escalation_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(press.alert)
    if won.rowcount != 1:  # type: ignore[attr-defined]
        await press.audit("alert.resolve", "already_done")
        return Notice(
            f"Already resolved by {await press.by_whom(press.alert.resolved_by)}.", granted=False
        )
    detail = {"outcome": outcome, "clavien_dindo": clavien_dindo}
    # The note stays on the alert's timeline: the audit log is kept longer than the record.
    noted = {**detail, "note": note} if note else detail
    session.add(
        AlertEvent(
            alert_id=alert_id, at=now, kind="resolved", staff_id=press.staff.id, detail=noted
        )
    )
    await press.audit("alert.resolve", "done", **detail)
    await press.redraw_card()
    return Notice(f"Resolved: alert #{alert_id}.", granted=True)


async def remember_card(
    session: AsyncSession, sent: OutboxMessage, _verdict: Classified, now: datetime
) -> None:
    """Delivery hook: keep where the alert's card is, so it can be edited later, and put
    its arrival in the team chat on the alert's timeline (when the team could first see it)."""
    if sent.purpose != "alert_card" or sent.alert_id is None or sent.telegram_message_id is None:
        return
    await session.execute(
        update(Alert)
        .where(Alert.id == sent.alert_id)
        .values(card_chat_id=sent.chat_id, card_message_id=sent.telegram_message_id)
    )
    team = await session.scalar(
        select(Team.name)
        .join(Episode, Episode.team_id == Team.id)
        .join(Alert, Alert.episode_id == Episode.id)
        .where(Alert.id == sent.alert_id)
    )
    session.add(
        AlertEvent(
            alert_id=sent.alert_id,
            at=now,
            kind="card_sent",
            staff_id=None,
            detail={"chat": f"{team} team chat" if team else "the team chat"},
        )
    )
