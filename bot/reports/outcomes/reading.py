"""Reading a scope of the follow-up into the report's plain rows, streamed in batches.

The scope: one team (or all), some pathways (or all), surgery dates from and to. Episodes
count once the patient consented; erased patients are left out. Rows are streamed
(``yield_per``), and only the columns the report needs are selected: never a protocol's text
per row, never a name or a Telegram id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.history import PLANNED_KINDS
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.outcomes.by_pod import PAIN_ITEMS
from bot.reports.outcomes.rows import (
    AlertRecord,
    CheckInRecord,
    EpisodeRecord,
    MilestoneDefinition,
)
from db.models import (
    Alert,
    AlertEvent,
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    Patient,
    ProtocolVersion,
    Team,
)
from db.stored import JsonValues, as_stored, json_text
from flows import Protocol
from flows.compiled import compile_protocol
from flows.daytime import DAYTIME_ENDS, DAYTIME_STARTS, daytime_between

BATCH = 2_000
# The clinical file's four pathways (v2): approach and operation of each.
PATHWAY_KINDS = {
    "spine-miss-lumbar": ("MISS", "decompression"),
    "spine-open-lumbar": ("open", "decompression"),
    "spine-miss-fusion": ("MISS", "fusion"),
    "spine-open-fusion": ("open", "fusion"),
}
_SYMBOLS = {"at_least": "≥", "at_most": "≤", "above": ">", "below": "<", "equals": "="}


class UnknownTeam(LookupError):
    """No team of that name."""


@dataclass(frozen=True)
class Scope:
    team: str | None = None
    pathways: tuple[str, ...] = ()
    surgery_from: date | None = None
    surgery_to: date | None = None
    # The teams a staff member belongs to, on the console: nothing outside them is read.
    team_ids: frozenset[int] | None = None

    def described(self) -> dict[str, Any]:
        return {
            "team": self.team or ("your teams" if self.team_ids is not None else "all teams"),
            "pathways": list(self.pathways) or "all pathways",
            "surgery_from": self.surgery_from.isoformat() if self.surgery_from else None,
            "surgery_to": self.surgery_to.isoformat() if self.surgery_to else None,
        }


@dataclass
class ReadScope:
    """What was read: the episodes with their check-ins, and their alerts."""

    episodes: list[EpisodeRecord] = field(default_factory=list)
    alerts: list[AlertRecord] = field(default_factory=list)


def kinds_of(pathway: str) -> tuple[str, str]:
    """(approach, operation) of a pathway by its id; "unknown" where the id does not say."""
    if pathway in PATHWAY_KINDS:
        return PATHWAY_KINDS[pathway]
    words = pathway.split("-")
    approach = "MISS" if "miss" in words else "open" if "open" in words else "unknown"
    return approach, "fusion" if "fusion" in words else "unknown"


def milestones_of(protocol: Protocol) -> tuple[MilestoneDefinition, ...]:
    stated = {m.id: m for m in protocol.milestones}
    return tuple(
        MilestoneDefinition(
            id=m.id,
            label=f"{m.item} {_SYMBOLS.get(stated[m.id].expect.operator, '?')} "
            f"{stated[m.id].expect.operand}",
            test=m.test,
        )
        for m in compile_protocol(protocol).milestones
    )


async def team_id(session: AsyncSession, name: str | None) -> int | None:
    if name is None:
        return None
    found = await session.scalar(select(Team.id).where(Team.name == name))
    if found is None:
        raise UnknownTeam(f"no team named {name!r}")
    return found


def episodes_in(scope: Scope, team: int | None) -> Select[tuple[int]]:
    """The ids of the scope's episodes, as a subquery the other reads join on."""
    query = (
        select(Episode.id)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
        .where(Patient.erased_at.is_(None), Episode.consented_at.is_not(None))
    )
    if team is not None:
        query = query.where(Episode.team_id == team)
    if scope.team_ids is not None:
        query = query.where(Episode.team_id.in_(scope.team_ids))
    if scope.pathways:
        query = query.where(ProtocolVersion.protocol_id.in_(scope.pathways))
    if scope.surgery_from is not None:
        query = query.where(Episode.surgery_date >= scope.surgery_from)
    if scope.surgery_to is not None:
        query = query.where(Episode.surgery_date <= scope.surgery_to)
    return query


async def read_scope(
    session: AsyncSession, catalogue: ProtocolCatalogue, scope: Scope, *, all_items: bool = False
) -> ReadScope:
    """The scope's episodes and alerts; of the answers, those of the items the report reads
    (``all_items``: every one)."""
    in_scope = episodes_in(scope, await team_id(session, scope.team))
    items = None if all_items else await _items_read(session, catalogue, in_scope)
    answers = await _answers(session, in_scope, items)
    check_ins = await _check_ins(session, in_scope, answers)
    found = ReadScope()
    pathways: dict[int, str] = {}
    query = (
        select(Episode.id, Episode.protocol_version_id, Episode.surgery_date, Episode.status)
        .where(Episode.id.in_(in_scope))
        .order_by(Episode.id)
    )
    milestones: dict[int, tuple[MilestoneDefinition, ...]] = {}  # by version: compiled once
    for episode_id, version_id, surgery, status in await _rows(session, query):
        protocol = await catalogue.of_id(session, version_id)
        if version_id not in milestones:
            milestones[version_id] = milestones_of(protocol)
        kinds = kinds_of(protocol.id)
        pathways[episode_id] = protocol.id
        found.episodes.append(
            EpisodeRecord(
                episode_id=episode_id,
                pathway=protocol.id,
                approach=kinds[0],
                operation=kinds[1],
                surgery_date=surgery,
                status=status.value,
                check_ins=tuple(check_ins.get(episode_id, ())),
                milestones=milestones[version_id],
            )
        )
    found.alerts = await _alerts(session, catalogue, in_scope, pathways)
    return found


async def _batches(session: AsyncSession, query: Select[Any]) -> AsyncIterator[Sequence[Any]]:
    """The query's rows, fetched a batch at a time (a server-side cursor on PostgreSQL).
    Taken a batch at a time too: a row at a time costs a switch into the driver's thread per
    row, which was most of the report's time. Core rows: the ORM's step for plain columns cost
    as much again."""
    connection = await session.connection()
    result = await connection.stream(query.execution_options(yield_per=BATCH))
    async for batch in result.partitions():
        yield batch


async def _rows(session: AsyncSession, query: Select[Any]) -> list[Any]:
    """All rows first: reading them may need the session again (a protocol's version)."""
    return [row async for batch in _batches(session, query) for row in batch]


async def _items_read(
    session: AsyncSession, catalogue: ProtocolCatalogue, in_scope: Select[tuple[int]]
) -> set[str]:
    """The items the report reads: pain, walking and opioid use by POD, and those the
    milestones of the scope's protocols test. The red flags, the wound and the rest are
    most of the answers, and the report needs none of them."""
    items = {*PAIN_ITEMS, "walking", "opioid_use"}
    versions = select(Episode.protocol_version_id).where(Episode.id.in_(in_scope)).distinct()
    for (version_id,) in await _rows(session, versions):
        protocol = await catalogue.of_id(session, version_id)
        items |= {milestone.expect.item for milestone in protocol.milestones}
    return items


async def _answers(
    session: AsyncSession, in_scope: Select[tuple[int]], items: set[str] | None
) -> dict[int, dict[str, Any]]:
    query = (
        select(
            Answer.checkin_id,
            Answer.item_id,
            json_text(Answer.value, session.get_bind().dialect.name),
        )
        .join(CheckIn, CheckIn.id == Answer.checkin_id)
        .where(CheckIn.episode_id.in_(in_scope), CheckIn.kind.in_(PLANNED_KINDS))
    )
    if items is not None:
        query = query.where(Answer.item_id.in_(sorted(items)))
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    decoded = JsonValues()
    async for batch in _batches(session, query):
        for checkin_id, item, value in batch:
            found[checkin_id][item] = decoded(value)
    return found


async def _check_ins(
    session: AsyncSession, in_scope: Select[tuple[int]], answers: dict[int, dict[str, Any]]
) -> dict[int, list[CheckInRecord]]:
    # Whether sent, not when; the status as stored: neither converted a row at a time.
    query = (
        select(
            CheckIn.id,
            CheckIn.episode_id,
            CheckIn.pod,
            as_stored(CheckIn.sent_at),
            as_stored(CheckIn.status),
        )
        .where(CheckIn.episode_id.in_(in_scope), CheckIn.kind.in_(PLANNED_KINDS))
        .order_by(CheckIn.episode_id, CheckIn.pod, CheckIn.id)
    )
    completed = CheckInStatus.COMPLETED.value
    found: dict[int, list[CheckInRecord]] = defaultdict(list)
    async for batch in _batches(session, query):
        for checkin_id, episode_id, pod, sent_at, status in batch:
            found[episode_id].append(
                CheckInRecord(
                    pod=pod,
                    sent=sent_at is not None,
                    answered=status == completed,
                    answers=answers.get(checkin_id, {}),
                )
            )
    return found


async def _alerts(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    in_scope: Select[tuple[int]],
    pathways: dict[int, str],
) -> list[AlertRecord]:
    escalations = (
        select(AlertEvent.alert_id, func.count().label("steps"))
        .where(AlertEvent.kind == "escalated")
        .group_by(AlertEvent.alert_id)
        .subquery()
    )
    query = (
        select(Alert, Team.timezone, Episode.protocol_version_id, escalations.c.steps)
        .join(Episode, Episode.id == Alert.episode_id)
        .join(Team, Team.id == Episode.team_id)
        .outerjoin(escalations, escalations.c.alert_id == Alert.id)
        .where(Alert.episode_id.in_(in_scope))
        .order_by(Alert.id)
    )
    found = []
    # Entities (the session's rows, not the connection's): a few thousand, and the findings
    # read as typed values.
    for alert, zone, version_id, steps in (await session.execute(query)).tuples().all():
        protocol = await catalogue.of_id(session, alert.protocol_version_id or version_id)
        found.append(_alert_record(alert, ZoneInfo(zone), protocol, pathways, steps or 0))
    return found


def _alert_record(
    alert: Alert, zone: ZoneInfo, protocol: Protocol, pathways: dict[int, str], steps: int
) -> AlertRecord:
    target = protocol.escalation.target(alert.tier)
    acked = alert.acknowledged_at
    minutes = None if acked is None else (acked - alert.opened_at).total_seconds() / 60
    counted = minutes
    if acked is not None and target is not None and target.daytime_only:
        counted = daytime_between(alert.opened_at, acked, zone).total_seconds() / 60
    return AlertRecord(
        alert_id=alert.id,
        episode_id=alert.episode_id,
        pathway=pathways[alert.episode_id],
        tier=alert.tier.value,
        cause=alert.cause,
        rules=tuple(dict.fromkeys(f.rule for f in alert.findings)),
        opened_at=alert.opened_at,
        acknowledged_at=acked,
        resolved_at=alert.resolved_at,
        outcome=alert.outcome,
        clavien_dindo=alert.clavien_dindo,
        night=_at_night(alert.opened_at, zone),
        ack_minutes=minutes,
        ack_counted_minutes=counted,
        target_minutes=target.acknowledge_within_minutes if target is not None else None,
        escalations=steps,
    )


def _at_night(instant: datetime, zone: ZoneInfo) -> bool:
    local = instant.astimezone(zone).time()
    return not DAYTIME_STARTS <= local < DAYTIME_ENDS
