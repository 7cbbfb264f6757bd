"""A tick with nothing to do reads nothing: the dispatcher's reminder question goes to an
index that holds only the check-ins not yet reminded, not every patient whose check-in is
open and was reminded already; its question of closed windows to one that holds the open
check-ins in the order their windows close.

SQLite's planner chooses the same way on a table of three rows as on one of a million when
no statistics were gathered (the bot gathers none). PostgreSQL's goes by the table's
statistics, so its test builds a table shaped as a cohort is (most check-ins finished or
still to come, none due) and has them gathered; its plans at 100,000 and 1,000,000 patients
are the benchmarks' (docs/BENCHMARKS.md, the idle tick and a million enrolled)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from bot.i18n import t
from db.models import CheckIn
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
    # The closed windows: a range of (status, missed_at) for each open status, ending now.
    [(sql, parameters)] = [(s, p) for s, p in seen if "missed_at <=" in s]
    plan = await sqlite_plan(journey, sql, parameters)
    assert "USING INDEX ix_checkins_status_missed_at (status=? AND missed_at<?)" in plan, plan


async def postgres_plan(journey: Journey, sql: str, parameters: Any) -> str:
    async with journey.runtime.engine.connect() as connection:
        result = await connection.exec_driver_sql(f"EXPLAIN {sql}", parameters)
        return "\n".join(str(row[0]) for row in result)


@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_an_idle_tick_reads_no_whole_table_however_many_check_ins_are_finished_or_to_come(
    journey: Journey,
) -> None:
    await journey.enrolled_patient()
    # 6,000 copies of her schedule: half of them finished last week, half still to come.
    # The planner, taking status and time as unrelated, then expects a quarter of them to
    # be open and past their window; the old question read the whole table to find none.
    columns = ", ".join(c.name for c in CheckIn.__table__.columns if c.name != "id")
    now = journey.clock.now()
    async with journey.runtime.engine.begin() as connection:
        await connection.execute(
            text(
                f"INSERT INTO checkins ({columns}) SELECT {columns} FROM checkins, "
                "generate_series(1, 500)"
            )
        )
        await connection.execute(
            text(
                "UPDATE checkins SET"
                " status = CASE WHEN id % 2 = 0 THEN 'completed' ELSE 'scheduled' END,"
                " due_at = CAST(:now AS timestamptz)"
                " + (CASE WHEN id % 2 = 0 THEN -1 ELSE 1 END)"
                " * (interval '1 day' + id * interval '1 minute')"
            ),
            {"now": now},
        )
        await connection.execute(
            text("UPDATE checkins SET missed_at = due_at + interval '12 hours', remind_at = NULL")
        )
        await connection.execute(text("ANALYZE checkins"))
    with statements(journey) as seen:
        report = await journey.runtime.dispatcher.tick()
    assert (report.sent, report.reminded, report.missed) == (0, 0, 0)
    looks = [(s, p) for s, p in seen if s.lstrip().startswith("SELECT") and "FROM checkins" in s]
    assert len(looks) == 3, looks  # closed windows, due, reminders: each asked once
    plans = [await postgres_plan(journey, sql, parameters) for sql, parameters in looks]
    for plan in plans:
        assert "Seq Scan on checkins" not in plan, plan
    closed_windows = next(p for (s, _), p in zip(looks, plans, strict=True) if "missed_at <=" in s)
    assert "ix_checkins_open_windows" in closed_windows, closed_windows
