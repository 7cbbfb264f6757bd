"""Cohorts for the benchmarks: enrolled, linked patients with their schedules as rows.

Set-up is not what is measured, so rows go in in bulk (COPY on PostgreSQL, one executemany
per chunk on SQLite), shaped as enrolment and the dispatcher would have left them around
``now``: check-ins whose window closed are completed or missed, one whose window is open
was sent, the rest are scheduled; every sent check-in left its first message in the
outbox. What enrolment costs per patient is measured separately, through the real service.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from db.models import (
    Alert,
    AlertStatus,
    Base,
    CheckIn,
    CheckInKind,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    OutboxMessage,
    OutboxStatus,
    Patient,
    Team,
)
from flows import CheckIn as Conversation
from flows import CheckInKind as ConversationKind
from flows import PlannedCheckIn, Protocol, plan_check_ins

PROTOCOLS = ("spine-miss-lumbar", "spine-open-lumbar")
ZONES = ("Europe/Madrid", "Europe/London", "America/Mexico_City")
# Telegram ids of patients who are not sandbox people: far from the sandbox's own ids.
SYNTHETIC_TELEGRAM_IDS = 7_000_000_000
CHUNK = 20_000
# Of the check-ins answered, the share that raised an alert (long since resolved), and the
# share followed the same day by one the patient asked for (a concern, or /checkin).
ALERTED = 0.02
ASKED = 0.4
ASKED_WITHIN = timedelta(hours=9)


@dataclass(frozen=True)
class CohortSpec:
    patients: int
    now: datetime  # the instant the rows are shaped around
    team_ids: Sequence[int]
    # Telegram ids (sandbox people) of some patients, by position; the rest get ids nobody has.
    chat_ids: Mapping[int, int] = field(default_factory=dict)
    protocols: Sequence[str] = PROTOCOLS
    zones: Sequence[str] = ZONES
    # Surgery dates, in days from ``now``'s date: a cohort at every stage of follow-up.
    surgery_days: tuple[int, int] = (-40, 7)
    # Patients who are sandbox people are mid follow-up: a check-in of theirs is ahead.
    linked_surgery_days: tuple[int, int] = (-6, 3)
    seed: int = 1
    ref_prefix: str = "BENCH"


@dataclass
class Cohort:
    episode_ids: list[int] = field(default_factory=list)
    chat_ids: list[int] = field(default_factory=list)  # by position, as episode_ids
    refs: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows added


async def protocol_versions(
    engine: AsyncEngine, names: Iterable[str], now: datetime
) -> dict[str, tuple[int, Protocol]]:
    """The shipped protocols stored as versions, as enrolment stores them."""
    catalogue = ProtocolCatalogue(load_protocols(None))
    found: dict[str, tuple[int, Protocol]] = {}
    async with AsyncSession(engine) as session, session.begin():
        for name in names:
            version, protocol = await catalogue.resolve(session, name, now)
            found[name] = (version.id, protocol)
    return found


async def add_teams(engine: AsyncEngine, chats: Sequence[int], now: datetime) -> list[int]:
    """One care team per group chat, in a zone of its own; returns their ids."""
    async with AsyncSession(engine) as session, session.begin():
        start = await session.scalar(select(func.count()).select_from(Team)) or 0
        teams = [
            Team(
                name=f"Ward {start + n + 1}",
                chat_id=chat,
                timezone=ZONES[n % len(ZONES)],
                created_at=now,
            )
            for n, chat in enumerate(chats)
        ]
        session.add_all(teams)
        await session.flush()
        return [team.id for team in teams]


async def add_cohort(engine: AsyncEngine, spec: CohortSpec) -> Cohort:
    versions = await protocol_versions(engine, spec.protocols, spec.now)
    rng = random.Random(spec.seed)
    plans: dict[tuple[str, date, date, str], tuple[PlannedCheckIn, ...]] = {}
    cohort = Cohort()
    async with engine.connect() as connection:
        first = {
            name: await _next_id(connection, table)
            for name, table in (
                ("patients", _table(Patient)),
                ("episodes", _table(Episode)),
                ("checkins", _table(CheckIn)),
                ("outbox_messages", _table(OutboxMessage)),
                ("alerts", _table(Alert)),
            )
        }
        patients: list[dict[str, Any]] = []
        episodes: list[dict[str, Any]] = []
        checkins: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        alerts: list[dict[str, Any]] = []
        checkin_id, message_id = first["checkins"], first["outbox_messages"]
        for n in range(spec.patients):
            patient_id, episode_id = first["patients"] + n, first["episodes"] + n
            name = spec.protocols[n % len(spec.protocols)]
            version_id, protocol = versions[name]
            zone = spec.zones[n % len(spec.zones)]
            days = spec.linked_surgery_days if n in spec.chat_ids else spec.surgery_days
            surgery = spec.now.date() + timedelta(days=rng.randint(*days))
            discharge = surgery + timedelta(days=rng.choice((0, 1, 1, 2, 3)))
            key = (name, surgery, discharge, zone)
            if key not in plans:
                plans[key] = plan_check_ins(protocol, surgery, discharge, zone)
            chat = spec.chat_ids.get(n, SYNTHETIC_TELEGRAM_IDS + patient_id)
            enrolled = datetime.combine(surgery, spec.now.timetz()) - timedelta(days=1)
            patients.append(_patient(spec, patient_id, chat, zone, enrolled))
            episodes.append(
                _episode(spec, n, episode_id, patient_id, version_id, protocol, surgery, discharge)
            )
            if plans[key][-1].missed_at <= spec.now:
                episodes[-1]["status"] = EpisodeStatus.COMPLETED  # the follow-up has run its course
            for planned in plans[key]:
                row = _checkin(checkin_id, episode_id, version_id, planned, spec.now, rng)
                checkins.append(row)
                if row["sent_at"] is not None:
                    outbox.append(_sent_message(message_id, chat, episode_id, row))
                    message_id += 1
                if row["status"] is CheckInStatus.COMPLETED and rng.random() < ALERTED:
                    alerts.append(_resolved_alert(first["alerts"] + len(alerts), row))
                checkin_id += 1
                answered = row["status"] is CheckInStatus.COMPLETED
                if (
                    answered
                    and row["completed_at"] < spec.now - ASKED_WITHIN
                    and rng.random() < ASKED
                ):
                    checkins.append(_asked_for(checkin_id, row, rng))
                    checkin_id += 1
            cohort.episode_ids.append(episode_id)
            cohort.chat_ids.append(chat)
            cohort.refs.append(patients[-1]["ref"])
            cohort.zones.append(zone)
        for table, rows in (
            (_table(Patient), patients),
            (_table(Episode), episodes),
            (_table(CheckIn), checkins),
            (_table(OutboxMessage), outbox),
            (_table(Alert), alerts),
        ):
            await insert_rows(connection, table, rows)
            cohort.rows[table.name] = len(rows)
        await connection.commit()
        await _resume_sequences(connection)
        if connection.dialect.name == "postgresql":
            # Statistics, as autovacuum gathers them after a bulk load on a live server.
            # Without them the planner takes the cohort for a handful of rows: a claim of
            # due check-ins by nested loop over every episode took 14 s at 10,000 patients.
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    return cohort


def _patient(
    spec: CohortSpec, patient_id: int, chat: int, zone: str, at: datetime
) -> dict[str, Any]:
    return {
        "id": patient_id,
        "ref": f"{spec.ref_prefix}-{patient_id:07d}",  # pseudonymous, as hospitals give them
        "display_name": None,
        "telegram_user_id": chat,
        "telegram_chat_id": chat,
        "language": "en",
        "timezone": zone,
        "awaiting": None,
        "created_at": at,
        "erased_at": None,
    }


def _episode(
    spec: CohortSpec,
    n: int,
    episode_id: int,
    patient_id: int,
    version_id: int,
    protocol: Protocol,
    surgery: date,
    discharge: date,
) -> dict[str, Any]:
    enrolled = datetime.combine(surgery, spec.now.timetz()) - timedelta(days=1)
    return {
        "id": episode_id,
        "patient_id": patient_id,
        "team_id": spec.team_ids[n % len(spec.team_ids)],
        "protocol_version_id": version_id,
        "procedure": protocol.procedures[0] if protocol.procedures else None,
        "surgery_date": surgery,
        "discharge_date": discharge,
        "status": EpisodeStatus.ACTIVE,
        "consented_at": enrolled,
        "created_at": enrolled,
        "updated_at": enrolled,
    }


def _checkin(
    checkin_id: int,
    episode_id: int,
    version_id: int,
    planned: PlannedCheckIn,
    now: datetime,
    rng: random.Random,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": checkin_id,
        "episode_id": episode_id,
        "protocol_version_id": version_id,
        "pod": planned.pod,
        "kind": CheckInKind(planned.kind.value),
        "status": CheckInStatus.SCHEDULED,
        "due_at": planned.due_at,
        "remind_at": planned.remind_at,
        "missed_at": planned.missed_at,
        "sent_at": None,
        "reminded_at": None,
        "completed_at": None,
        "sent_late": False,
        "conversation": None,
        "tier": None,
        "recovery_score": None,
        "lease_owner": None,
        "lease_until": None,
    }
    if planned.due_at > now:
        return row
    row["sent_at"] = planned.due_at
    reminded = planned.remind_at is not None and planned.remind_at <= now
    row["reminded_at"] = planned.remind_at if reminded else None
    if planned.missed_at > now and rng.random() < 0.5:
        row["status"] = CheckInStatus.SENT  # the patient has not answered yet
        row["conversation"] = Conversation(planned.pod, ConversationKind(planned.kind)).to_json()
    elif planned.missed_at <= now and rng.random() < 0.15:
        row["status"] = CheckInStatus.MISSED
    else:
        row["status"] = CheckInStatus.COMPLETED
        row["completed_at"] = planned.due_at + timedelta(minutes=rng.randint(2, 90))
        row["tier"] = "green"
        row["recovery_score"] = rng.randint(40, 95)
    return row


def _asked_for(checkin_id: int, scheduled: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A check-in the patient started, hours after a scheduled one, answered at once."""
    asked = scheduled["completed_at"] + timedelta(hours=rng.randint(1, 8))  # < ASKED_WITHIN
    kind = rng.choice((CheckInKind.CONCERN, CheckInKind.EXTRA))
    return {
        **scheduled,
        "id": checkin_id,
        "kind": kind,
        "due_at": asked,
        "remind_at": None,
        "missed_at": asked + timedelta(hours=12),
        "sent_at": asked,
        "completed_at": asked + timedelta(minutes=5),
    }


def _sent_message(
    message_id: int, chat: int, episode_id: int, row: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": message_id,
        "chat_id": chat,
        "method": "sendMessage",
        "payload": {"text": "Here is today's check-in."},
        "purpose": "checkin_intro",
        "priority": 5,
        "episode_id": episode_id,
        "alert_id": None,
        "checkin_id": row["id"],
        "status": OutboxStatus.SENT,
        "not_before": row["due_at"],
        "attempts": 1,
        "created_at": row["due_at"],
        "sent_at": row["due_at"],
        "lease_owner": None,
        "lease_until": None,
        "last_error": None,
        "uncertain_at": None,
        "telegram_message_id": message_id,
        "dedupe_key": None,
    }


def _resolved_alert(alert_id: int, checkin: dict[str, Any]) -> dict[str, Any]:
    opened = checkin["completed_at"]
    return {
        "id": alert_id,
        "episode_id": checkin["episode_id"],
        "checkin_id": checkin["id"],
        "protocol_version_id": checkin["protocol_version_id"],
        "tier": "amber",
        "cause": "rule",
        "findings": [],
        "status": AlertStatus.RESOLVED,
        "opened_at": opened,
        "updated_at": opened + timedelta(hours=1),
        "acknowledged_at": opened + timedelta(minutes=10),
        "acknowledged_by": None,
        "resolved_at": opened + timedelta(hours=1),
        "resolved_by": None,
        "outcome": "advice",
        "clavien_dindo": None,
        "escalation": [],
        "escalation_step": 0,
        "next_escalation_at": None,
        "card_chat_id": None,
        "card_message_id": None,
    }


async def make_due(engine: AsyncEngine, episode_ids: Sequence[int], at: datetime) -> int:
    """Each episode's next scheduled check-in falls due at ``at``; returns how many did."""
    changed = 0
    async with engine.begin() as connection:
        for chunk in _chunks(list(episode_ids), 1_000):
            earliest = (
                select(func.min(CheckIn.id))
                .where(CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.episode_id.in_(chunk))
                .group_by(CheckIn.episode_id)
            )
            result = await connection.execute(
                update(CheckIn)
                .where(CheckIn.id.in_(earliest))
                .values(
                    due_at=at,
                    remind_at=at + timedelta(hours=4),
                    missed_at=at + timedelta(hours=12),
                )
            )
            changed += result.rowcount
    return changed


async def insert_rows(
    connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]
) -> None:
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        for chunk in _chunks(rows, CHUNK):
            await connection.execute(insert(table), chunk)
        return
    columns = list(rows[0])
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    for chunk in _chunks(rows, CHUNK):
        records = [tuple(_for_copy(row[name]) for name in columns) for row in chunk]
        await driver.copy_records_to_table(table.name, records=records, columns=columns)


def _for_copy(value: Any) -> Any:
    """COPY takes the driver's own types: text for enums and JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value)
    if isinstance(value, str):
        return str(value)  # a StrEnum member as its plain value
    return value


async def _next_id(connection: AsyncConnection, table: Table) -> int:
    return int(await connection.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


async def _resume_sequences(connection: AsyncConnection) -> None:
    """Ids were given explicitly: PostgreSQL's sequences carry on after them."""
    if connection.dialect.name != "postgresql":
        return
    for table in ("patients", "episodes", "checkins", "outbox_messages", "alerts"):
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )
    await connection.commit()


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
