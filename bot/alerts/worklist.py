"""The console's worklist: the open alerts of a staff member's teams, the most urgent first.

Ordered by tier (emergency first), then by how far past its acknowledgement target each
alert is (the protocol's target for its tier, as ``/alerts`` and the digest reckon it), then
by age. A staff member sees their own teams' alerts only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.protocols.catalogue import ProtocolCatalogue
from db.audit import append
from db.models import (
    OPEN_ALERTS,
    Alert,
    AlertStatus,
    Episode,
    Patient,
    Staff,
    Team,
)
from flows import Finding, Protocol, Tier
from flows.alert_age import AlertAge, alert_age
from flows.describe import answer_words, value_words

# Alerts a page of the console's worklist: a ward's bad day (hundreds open) stays a page
# that loads at once; the most urgent come first, the rest a click away.
PAGE_SIZE = 50
# Staff read the console in English, as the alert cards.
STAFF_LANGUAGE = "en"


@dataclass(frozen=True)
class Filters:
    team_id: int | None = None
    tier: Tier | None = None
    mine: bool = False  # acknowledged by me


@dataclass(frozen=True)
class FindingLine:
    rule: str
    tier: Tier
    reason: str
    answers: tuple[str, ...]  # "temperature 38.4 °C", each with its unit


@dataclass(frozen=True)
class WorklistRow:
    alert_id: int
    episode_id: int  # the patient's page
    tier: Tier
    status: AlertStatus
    team: str
    patient_ref: str
    patient_name: str | None
    pod: int
    pathway: str  # the protocol's title
    zone: str  # the team's time zone, for the times shown
    findings: tuple[FindingLine, ...]
    opened_at: datetime
    age_minutes: int
    age_unit: str
    target_minutes: int | None
    overdue_minutes: int  # past the target; 0 when within it, acknowledged, or no target
    acknowledged_by: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class Worklist:
    rows: tuple[WorklistRow, ...]  # of this page
    teams: Mapping[int, str]  # the member's teams, for the filter
    total: int = 0  # open alerts on every page
    page: int = 1
    pages: int = 1


async def worklist(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    team_ids: Collection[int],
    staff_id: int,
    now: datetime,
    filters: Filters = Filters(),
    *,
    audited: bool = True,
    page: int | None = None,
) -> Worklist:
    """The list as ``staff_id`` (of ``team_ids``) sees it now. A person's look at it is
    audited, as /alerts in Telegram is (``audited``: not the page refreshing itself).
    ``page``: only that page of ``PAGE_SIZE`` alerts, the most urgent first (None: all)."""
    names = select(Team.id, Team.name).where(Team.id.in_(team_ids)).order_by(Team.name)
    teams = {team_id: name for team_id, name in (await session.execute(names)).all()}
    shown = [filters.team_id] if filters.team_id in teams else list(teams)
    # First the order, from the few columns it needs: a ward's bad day is hundreds of open
    # alerts, and only a page of them is shown (their findings and names read below).
    ranking = (
        select(
            Alert.id,
            Alert.tier,
            Alert.status,
            Alert.opened_at,
            Episode.protocol_version_id,
            Team.timezone,
        )
        .join(Episode, Episode.id == Alert.episode_id)
        .join(Team, Team.id == Episode.team_id)
        .where(Alert.status.in_(OPEN_ALERTS), Episode.team_id.in_(shown))
    )
    if filters.tier is not None:
        ranking = ranking.where(Alert.tier == filters.tier)
    if filters.mine:
        ranking = ranking.where(Alert.acknowledged_by == staff_id)
    ages: dict[int, AlertAge] = {}
    order = []
    for alert_id, tier, status, opened_at, version_id, zone in (
        await session.execute(ranking)
    ).tuples():
        protocol = await catalogue.of_id(session, version_id)
        age = alert_age(protocol, tier, opened_at, now, zone, waiting=status is AlertStatus.OPEN)
        ages[alert_id] = age
        order.append((-tier.rank, -_overdue(age), opened_at, alert_id))
    order.sort()
    total, pages = len(order), 1
    if page is not None:
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(page, 1), pages)
        order = order[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    ids = [alert_id for *_, alert_id in order]
    found = {
        alert.id: (alert, episode, patient, team, acknowledger)
        for alert, episode, patient, team, acknowledger in (
            await session.execute(
                select(Alert, Episode, Patient, Team, Staff.name)
                .join(Episode, Episode.id == Alert.episode_id)
                .join(Patient, Patient.id == Episode.patient_id)
                .join(Team, Team.id == Episode.team_id)
                .outerjoin(Staff, Staff.id == Alert.acknowledged_by)
                .where(Alert.id.in_(ids))
            )
        ).tuples()
    }
    rows = []
    for alert_id in ids:
        alert, episode, patient, team, acknowledger = found[alert_id]
        protocol = await catalogue.of_id(session, episode.protocol_version_id)
        age = ages[alert_id]
        rows.append(
            WorklistRow(
                alert_id=alert.id,
                episode_id=episode.id,
                tier=alert.tier,
                status=alert.status,
                team=team.name,
                patient_ref=patient.ref,
                patient_name=patient.display_name,
                pod=(now.astimezone(ZoneInfo(patient.timezone)).date() - episode.surgery_date).days,
                pathway=protocol.title,
                zone=team.timezone,
                findings=tuple(finding_line(f, protocol) for f in alert.findings),
                opened_at=alert.opened_at,
                age_minutes=age.minutes,
                age_unit=age.unit,
                target_minutes=age.target_minutes,
                overdue_minutes=_overdue(age),
                acknowledged_by=acknowledger,
                acknowledged_at=alert.acknowledged_at,
            )
        )
    if audited:
        await append(
            session,
            at=now,
            actor_kind="staff",
            actor_ref=f"staff:{staff_id}",
            action="alerts.view",
            origin="console",
            detail={"alerts": [row.alert_id for row in rows]},
        )
    return Worklist(tuple(rows), teams, total, page or 1, pages)


async def team_of_alert(session: AsyncSession, alert_id: int) -> int | None:
    """The team an alert belongs to (None: no such alert)."""
    team_id: int | None = await session.scalar(
        select(Episode.team_id)
        .join(Alert, Alert.episode_id == Episode.id)
        .where(Alert.id == alert_id)
    )
    return team_id


def _overdue(age: AlertAge) -> int:
    """Minutes past the target; 0 when within it, acknowledged, or without a target."""
    return age.minutes - age.target_minutes if age.past_target and age.target_minutes else 0


def finding_line(finding: Finding, protocol: Protocol) -> FindingLine:
    reason = finding.reason.get(STAFF_LANGUAGE) or next(iter(finding.reason.values()), "")
    answers = tuple(
        f"{item} {with_unit(value, item, protocol)}" for item, value in finding.answers.items()
    )
    return FindingLine(finding.rule, finding.tier, reason, answers)


def with_unit(value: object, item_id: str, protocol: Protocol) -> str:
    """An answer as the care team reads it (``38.6 °C``, ``8/10``, ``1 day``), ids spelled out."""
    item = protocol.items_by_id.get(item_id)
    words = answer_words(item, value) if item is not None else value_words(value)
    return words.replace("_", " ")
