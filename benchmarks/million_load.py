"""A cohort of a million on PostgreSQL: the scale benchmark's rows, loaded with COPY.

The rows are those ``benchmarks.cohort`` makes (``benchmarks.cohort_rows``: each patient's
schedule around ``now``, the check-ins sent, answered or missed, the first message of each
sent one, the alerts some raised), but a slice of patients at a time, so that memory stays
flat: slices are made in worker processes while the one before them is copied. As ``pg_restore``
loads a dump, the tables' indexes are dropped first and built after the data, and foreign
keys are not checked row by row (the rows are consistent by construction); then the
statistics, as autovacuum would gather them.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import multiprocessing
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks.cohort import ALERTED, ASKED, ASKED_WITHIN, SYNTHETIC_TELEGRAM_IDS, CohortSpec
from benchmarks.cohort_rows import (
    asked_for_row,
    checkin_row,
    episode_row,
    patient_row,
    resolved_alert_row,
    sent_message_row,
)
from bot.protocols.sources import load_protocols
from db.models import CheckInStatus, EpisodeStatus
from flows import PlannedCheckIn, Protocol, plan_check_ins

SLICE = 10_000  # patients a slice
TABLES = ("patients", "episodes", "checkins", "outbox_messages", "alerts")
# Ids are given a block a patient, so that slices are made apart from each other: no patient
# has more check-ins (or messages, or alerts) than this; the gaps cost nothing.
PER_PATIENT = 64
MAKERS = 2  # worker processes making slices
JSON_COLUMNS = {"conversation", "payload", "findings", "escalation"}

Rows = dict[str, tuple[list[str], list[tuple[Any, ...]]]]  # table -> (columns, records)
Versions = dict[str, int]  # a shipped protocol's id -> its stored version's id
_PLANS: dict[tuple[str, date, date, str], tuple[PlannedCheckIn, ...]] = {}


async def copy_cohort(
    database_url: str,
    spec: CohortSpec,
    versions: Versions,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Load ``spec.patients`` patients; rows a table, and seconds a phase."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    # Two sessions, as ``pg_restore -j 2``: the check-ins in one, the other tables in the
    # other; each builds its tables' indexes after.
    sessions = [await asyncpg.connect(dsn) for _ in range(2)]
    seconds: dict[str, float] = {}
    try:
        first = {
            t: await sessions[0].fetchval(f"SELECT coalesce(max(id), 0) + 1 FROM {t}")
            for t in TABLES
        }
        for session in sessions:
            await session.execute("SET session_replication_role = replica")  # no FK triggers
            await session.execute("SET maintenance_work_mem = '512MB'")
        indexes = await _drop_indexes(sessions[0])
        started = time.perf_counter()
        counts = await _copy_slices(sessions, spec, versions, first, progress)
        seconds["copy"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        await asyncio.gather(
            _build(sessions[0], [i for i in indexes if i[0] == "checkins"], progress),
            _build(sessions[1], [i for i in indexes if i[0] != "checkins"], progress),
        )
        seconds["indexes"] = round(time.perf_counter() - started, 1)
        for table in TABLES:
            await sessions[0].execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        started = time.perf_counter()
        await sessions[0].execute("ANALYZE")  # as autovacuum would after a bulk load
        seconds["analyze"] = round(time.perf_counter() - started, 1)
    finally:
        for session in sessions:
            await session.close()
    return {"rows": counts, "seconds": seconds}


async def _copy_slices(
    sessions: list[asyncpg.Connection],
    spec: CohortSpec,
    versions: Versions,
    first: dict[str, int],
    progress: Callable[[str], None],
) -> dict[str, int]:
    """Slices made in worker processes (MAKERS ahead of the one being copied), copied in
    order."""
    counts = dict.fromkeys(TABLES, 0)
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    starts = iter(range(0, spec.patients, SLICE))
    context = multiprocessing.get_context("spawn")  # no copy of this process's connections
    with ProcessPoolExecutor(MAKERS, mp_context=context) as pool:
        making = deque(
            loop.run_in_executor(pool, _slice, spec, versions, first, start, SLICE)
            for start in itertools.islice(starts, MAKERS + 1)
        )
        number, waited, copying = 0, 0.0, 0.0
        while making:
            began = time.perf_counter()
            rows = await making.popleft()
            waited += time.perf_counter() - began
            for start in itertools.islice(starts, 1):
                making.append(
                    loop.run_in_executor(pool, _slice, spec, versions, first, start, SLICE)
                )
            began = time.perf_counter()
            await asyncio.gather(
                _copy(sessions[0], {t: r for t, r in rows.items() if t == "checkins"}),
                _copy(sessions[1], {t: r for t, r in rows.items() if t != "checkins"}),
            )
            copying += time.perf_counter() - began
            for table, (_columns, records) in rows.items():
                counts[table] += len(records)
            number += 1
            done = min(number * SLICE, spec.patients)
            if number % 10 == 0 or done == spec.patients:
                rate = done / (time.perf_counter() - started)
                progress(
                    f"million: {done:,} of {spec.patients:,} patients copied "
                    f"({counts['checkins']:,} check-ins; {rate:,.0f} patients/s; "
                    f"{waited:,.0f} s waiting for slices, {copying:,.0f} s copying)"
                )
    return counts


async def _copy(session: asyncpg.Connection, rows: Rows) -> None:
    for table, (columns, records) in rows.items():
        if records:
            await session.copy_records_to_table(table, records=records, columns=columns)


async def _build(
    session: asyncpg.Connection,
    indexes: list[tuple[str, str, str]],
    progress: Callable[[str], None],
) -> None:
    for table, name, definition in indexes:
        started = time.perf_counter()
        await session.execute(definition)
        progress(
            f"million: index {name} on {table} built in {time.perf_counter() - started:,.0f} s"
        )


async def _drop_indexes(connection: asyncpg.Connection) -> list[tuple[str, str, str]]:
    """The indexes of the cohort's tables that no constraint owns: dropped, their
    definitions returned to build them again after the load."""
    found = await connection.fetch(
        """
        SELECT i.tablename, i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.tablename, i.indexname
        """,
        list(TABLES),
    )
    for row in found:
        await connection.execute(f'DROP INDEX "{row["indexname"]}"')
    return [(row["tablename"], row["indexname"], row["indexdef"]) for row in found]


@functools.cache
def _shipped() -> dict[str, Protocol]:
    """The shipped protocols, parsed once a worker (a protocol does not travel by pickle)."""
    return {name: loaded.protocol for name, loaded in load_protocols(None).items()}


def _slice(
    spec: CohortSpec, versions: Versions, first: dict[str, int], start: int, size: int
) -> Rows:
    """Patients ``start`` to ``start + size``, shaped as ``benchmarks.cohort.add_cohort``
    shapes them (its random draws are the same kind, from a generator of the slice's own)."""
    rng = random.Random(spec.seed * 1_000_003 + start)
    made: dict[str, list[dict[str, Any]]] = {table: [] for table in TABLES}
    for n in range(start, min(start + size, spec.patients)):
        patient_id, episode_id = first["patients"] + n, first["episodes"] + n
        checkin_id = first["checkins"] + n * PER_PATIENT
        message_id = first["outbox_messages"] + n * PER_PATIENT
        alert_id = first["alerts"] + n * PER_PATIENT
        name = spec.protocols[n % len(spec.protocols)]
        version_id, protocol = versions[name], _shipped()[name]
        zone = spec.zones[n % len(spec.zones)]
        surgery = spec.now.date() + timedelta(days=rng.randint(*spec.surgery_days))
        discharge = surgery + timedelta(days=rng.choice((0, 1, 1, 2, 3)))
        key = (name, surgery, discharge, zone)
        if key not in _PLANS:  # a few thousand shapes of schedule: each planned once a worker
            _PLANS[key] = plan_check_ins(protocol, surgery, discharge, zone)
        chat = SYNTHETIC_TELEGRAM_IDS + patient_id
        enrolled = datetime.combine(surgery, spec.now.timetz()) - timedelta(days=1)
        made["patients"].append(patient_row(spec.ref_prefix, patient_id, chat, zone, enrolled))
        team_id = spec.team_ids[n % len(spec.team_ids)]
        episode = episode_row(
            episode_id, patient_id, team_id, version_id, protocol, surgery, discharge, enrolled
        )
        if _PLANS[key][-1].missed_at <= spec.now:
            episode["status"] = EpisodeStatus.COMPLETED
        made["episodes"].append(episode)
        for planned in _PLANS[key]:
            row = checkin_row(checkin_id, episode_id, version_id, planned, spec.now, rng)
            made["checkins"].append(row)
            if row["sent_at"] is not None:
                made["outbox_messages"].append(sent_message_row(message_id, chat, episode_id, row))
                message_id += 1
            answered = row["status"] is CheckInStatus.COMPLETED
            if answered and rng.random() < ALERTED:
                made["alerts"].append(resolved_alert_row(alert_id, row))
                alert_id += 1
            checkin_id += 1
            if answered and row["completed_at"] < spec.now - ASKED_WITHIN and rng.random() < ASKED:
                made["checkins"].append(asked_for_row(checkin_id, row, rng))
                checkin_id += 1
        assert checkin_id - first["checkins"] - n * PER_PATIENT <= PER_PATIENT
    return {table: _records(rows) for table, rows in made.items()}


def _records(rows: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The rows as COPY takes them. Fourteen million check-ins: only the JSON columns are
    converted (asyncpg takes a ``StrEnum`` member as the text it is)."""
    if not rows:
        return [], []
    columns = list(rows[0])  # every row of a table is made by one function: one key order
    as_json = [n for n, name in enumerate(columns) if name in JSON_COLUMNS]
    if not as_json:
        return columns, [tuple(row.values()) for row in rows]
    records = []
    for row in rows:
        values = list(row.values())
        for n in as_json:
            if values[n] is not None:
                values[n] = json.dumps(values[n])
        records.append(tuple(values))
    return columns, records
