"""A tick with nothing to do reads nothing: the dispatcher's reminder question goes to an
index that holds only the check-ins not yet reminded, not every patient whose check-in is
open and was reminded already.

On SQLite, whose planner chooses the same way on a table of three rows as on one of a
million when no statistics were gathered (the bot gathers none). PostgreSQL's planner
goes by the table's statistics, and on a few rows rightly reads them all: its plans at
100,000 patients are the scale benchmark's (docs/BENCHMARKS.md, the idle tick)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.i18n import t
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


@contextmanager
def statements(journey: Journey) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
        seen.append((sql, parameters))

    engine = journey.runtime.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def sqlite_plan(journey: Journey, sql: str, parameters: Any) -> str:
    async with journey.runtime.engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        cursor = await raw.execute(f"EXPLAIN QUERY PLAN {sql}", parameters)
        return "\n".join(row[3] for row in await cursor.fetchall())


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
async def test_the_reminder_question_skips_check_ins_already_reminded(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.at(POD1_9AM + timedelta(hours=4))
    assert t("en", "reminder") in journey.texts(maria)  # reminded; the window is still open
    with statements(journey) as seen:
        report = await journey.runtime.dispatcher.tick()
    assert (report.sent, report.reminded, report.missed) == (0, 0, 0)
    [(sql, parameters)] = [(s, p) for s, p in seen if "reminded_at IS NULL" in s]
    plan = await sqlite_plan(journey, sql, parameters)
    # Over the check-ins not yet reminded: the reminded one is not in the range read.
    assert "ix_checkins_reminder_due" in plan, plan
    assert "ix_checkins_status_missed_at" not in plan
