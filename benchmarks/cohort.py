"""Cohorts for the benchmarks: enrolled, linked patients with their schedules as rows.

Set-up is not what is measured, so the rows (``benchmarks.cohort_rows``) go in in bulk
(``benchmarks.bulk``), shaped as enrolment and the dispatcher would have left them around
``now``. What enrolment costs per patient is measured separately, through the real service.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from benchmarks.bulk import chunks, insert_rows, next_id, resume_sequences, table_of
from benchmarks.cohort_rows import (
    asked_for_row,
    checkin_row,
    episode_row,
    patient_row,
    resolved_alert_row,
    sent_message_row,
)
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from db.models import (
    Alert,
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    OutboxMessage,
    Patient,
    Team,
)
from flows import PlannedCheckIn, Protocol, plan_check_ins

PROTOCOLS = ("spine-miss-lumbar", "spine-open-lumbar")
ZONES = ("Europe/Madrid", "Europe/London", "America/Mexico_City")
# Telegram ids of patients who are not sandbox people: far from the sandbox's own ids.
SYNTHETIC_TELEGRAM_IDS = 7_000_000_000
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
            name: await next_id(connection, table)
            for name, table in (
                ("patients", table_of(Patient)),
                ("episodes", table_of(Episode)),
                ("checkins", table_of(CheckIn)),
                ("outbox_messages", table_of(OutboxMessage)),
                ("alerts", table_of(Alert)),
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
            patients.append(patient_row(spec.ref_prefix, patient_id, chat, zone, enrolled))
            team_id = spec.team_ids[n % len(spec.team_ids)]
            episodes.append(
                episode_row(
                    episode_id,
                    patient_id,
                    team_id,
                    version_id,
                    protocol,
                    surgery,
                    discharge,
                    enrolled,
                )
            )
            if plans[key][-1].missed_at <= spec.now:
                episodes[-1]["status"] = EpisodeStatus.COMPLETED  # the follow-up has run its course
            for planned in plans[key]:
                row = checkin_row(checkin_id, episode_id, version_id, planned, spec.now, rng)
                checkins.append(row)
                if row["sent_at"] is not None:
                    outbox.append(sent_message_row(message_id, chat, episode_id, row))
                    message_id += 1
                if row["status"] is CheckInStatus.COMPLETED and rng.random() < ALERTED:
                    alerts.append(resolved_alert_row(first["alerts"] + len(alerts), row))
                checkin_id += 1
                answered = row["status"] is CheckInStatus.COMPLETED
                if (
                    answered
                    and row["completed_at"] < spec.now - ASKED_WITHIN
                    and rng.random() < ASKED
                ):
                    checkins.append(asked_for_row(checkin_id, row, rng))
                    checkin_id += 1
            cohort.episode_ids.append(episode_id)
            cohort.chat_ids.append(chat)
            cohort.refs.append(patients[-1]["ref"])
            cohort.zones.append(zone)
        for table, rows in (
            (table_of(Patient), patients),
            (table_of(Episode), episodes),
            (table_of(CheckIn), checkins),
            (table_of(OutboxMessage), outbox),
            (table_of(Alert), alerts),
        ):
            await insert_rows(connection, table, rows)
            cohort.rows[table.name] = len(rows)
        await connection.commit()
        await resume_sequences(connection)
        if connection.dialect.name == "postgresql":
            # Statistics, as autovacuum gathers them after a bulk load on a live server.
            # Without them the planner takes the cohort for a handful of rows: a claim of
            # due check-ins by nested loop over every episode took 14 s at 10,000 patients.
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    return cohort


async def make_due(engine: AsyncEngine, episode_ids: Sequence[int], at: datetime) -> int:
    """Each episode's next scheduled check-in falls due at ``at``; returns how many did."""
    changed = 0
    async with engine.begin() as connection:
        for chunk in chunks(list(episode_ids), 1_000):
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
