"""What staff can look at in their direct chat with the bot."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access.refusals import refuse
from bot.alerts.age import age_of
from bot.delivery.outbox import enqueue
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render.patient import message
from db.audit import append
from db.models import OPEN_ALERTS, Alert, Episode, Patient, Staff, Team, TeamMember


async def staff_member(session: AsyncSession, telegram_user_id: int) -> Staff | None:
    member: Staff | None = await session.scalar(
        select(Staff).where(Staff.telegram_user_id == telegram_user_id, Staff.active.is_(True))
    )
    return member


NOT_STAFF = "This command is for care-team staff."


async def send_open_alerts(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    chat_id: int,
    telegram_user_id: int,
    now: datetime,
) -> None:
    """Answer ``/alerts`` in ``chat_id``: the open alerts of the member's teams, or a refusal
    to anyone else; both audited."""
    member = await staff_member(session, telegram_user_id)
    if member is None:
        await refuse(session, telegram_user_id=telegram_user_id, action="alerts.view", now=now)
        text = NOT_STAFF
    else:
        text = await open_alerts_text(session, catalogue, member, now)
    enqueue(session, chat_id=chat_id, now=now, purpose="reply", payload=message(text))


async def open_alerts_text(
    session: AsyncSession, catalogue: ProtocolCatalogue, member: Staff, now: datetime
) -> str:
    """Open alerts of the member's teams, oldest first, with their age against the
    protocol's acknowledgement target; the view is audited."""
    rows = (
        await session.execute(
            select(Alert, Patient.ref, Episode.protocol_version_id, Team.timezone)
            .join(Episode, Episode.id == Alert.episode_id)
            .join(Team, Team.id == Episode.team_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .join(TeamMember, TeamMember.team_id == Episode.team_id)
            .where(TeamMember.staff_id == member.id, Alert.status.in_(OPEN_ALERTS))
            .order_by(Alert.opened_at, Alert.id)
        )
    ).all()
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{member.id}",
        action="alerts.view",
        origin="telegram",
        detail={"alerts": [alert.id for alert, _, _, _ in rows]},
    )
    if not rows:
        return "No open alerts for your teams."
    lines = ["Open alerts, oldest first:"]
    for alert, ref, version_id, zone in rows:
        age = age_of(alert, await catalogue.of_id(session, version_id), now, zone)
        late = " — past its target" if age.past_target else ""
        against = f" (target {age.target_minutes} min)" if age.target_minutes is not None else ""
        lines.append(
            f"#{alert.id} {alert.tier} · {ref} · {alert.status.value} · "
            f"{age.minutes} {age.unit}{against}{late}"
        )
    return "\n".join(lines)
