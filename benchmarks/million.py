"""A million enrolled (PostgreSQL): does what the bot does when nothing is due stay flat?

A fresh database holds the scale benchmark's cohort (ten teams, every patient at some stage
of follow-up, about fourteen check-ins each as rows), copied in rather than enrolled
(``benchmarks.million_load``), and open alerts on the first team's worklist. Then:

- ``eras run`` in its own process: seconds to its first poll, and its resident memory;
- the dispatcher's tick with nothing due, in this process: wall clock (p50/p95) and CPU a
  tick, the bot's and the database server's (its backends, from ``/proc``);
- the console's worklist and the roster's first page for a nurse of the first team (a
  tenth of the cohort), on the server's clock;
- every statement of those, explained with ``EXPLAIN (ANALYZE, BUFFERS)``.

As in ``benchmarks.scale``, the cohort is shaped around an instant two hours ahead, so that
``eras run`` on the real clock finds nothing due; the in-process bot runs on that instant.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, text

from benchmarks import machine, plans
from benchmarks.bot import unlimited
from benchmarks.cohort import PROTOCOLS, CohortSpec, add_teams, protocol_versions
from benchmarks.console import measure, nurse_sign_in, nurses_console
from benchmarks.console_ward import add_open_alerts
from benchmarks.million_load import copy_cohort
from benchmarks.startup import start_up
from benchmarks.stats import summary_ms
from benchmarks.tables import table
from benchmarks.telegram import Telegram, process_cpu_seconds
from bot.app.runtime import BotRuntime
from bot.clock import FakeClock
from db.engine import create_engine, session_factory
from db.models import Episode, EpisodeStatus

AHEAD = timedelta(hours=2)
TEAMS = 10
WARM_UP = 5  # idle ticks before the timed ones
CONSOLE_URL = "http://console.bench"


async def million(
    database_url: str,
    telegram: Telegram,
    patients: int,
    *,
    ticks: int,
    open_alerts: int,
    repeats: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    now = (datetime.now(UTC) + AHEAD).replace(second=0, microsecond=0)
    figures: dict[str, Any] = {"patients": patients, "load_average": {"start": _load()}}
    engine = create_engine(database_url)
    try:
        teams = await add_teams(engine, await telegram.groups(TEAMS), now)
        stored = await protocol_versions(engine, PROTOCOLS, now)
        versions = {name: version_id for name, (version_id, _) in stored.items()}
        started = time.perf_counter()
        loaded = await copy_cohort(
            database_url, CohortSpec(patients, now, teams), versions, progress
        )
        figures["load"] = loaded | {"total_seconds": round(time.perf_counter() - started, 1)}
        figures["open_alerts"] = await _open_alerts(engine, teams[0], open_alerts)
        async with engine.connect() as connection:
            size = await connection.scalar(text("SELECT pg_database_size(current_database())"))
            figures["database_mb"] = round(int(size or 0) / 2**20)
    finally:
        await engine.dispose()
    figures["load_average"]["loaded"] = _load()
    progress(f"million: loaded in {figures['load']['total_seconds']:,} s; eras run …")
    figures["eras_run"] = await start_up(database_url, telegram)
    progress(f"million: eras run {figures['eras_run']}; idle ticks …")
    runtime = BotRuntime(telegram.settings(database_url), FakeClock(now), pacer=unlimited())
    log = plans.StatementLog(runtime.engine)
    await runtime.start()
    try:
        figures["idle_tick"] = await _idle_ticks(runtime, ticks)
        with log.recording("tick, nothing due"):
            await runtime.dispatcher.tick()
            await runtime.escalator.tick()
        progress(f"million: idle tick {figures['idle_tick']}; console …")
        queries = await plans.explain(log, buffers=True)
    finally:
        await runtime.stop()
    console, console_queries = await _console(database_url, repeats)
    figures["console"] = console
    figures["queries"] = queries + console_queries
    figures["load_average"]["end"] = _load()
    return figures


def _load() -> Any:
    return machine.describe()["load_average"]


async def _open_alerts(engine: Any, team_id: int, count: int) -> int:
    """Open alerts (a third acknowledged) on the first team's active episodes."""
    async with engine.connect() as connection:
        active = list(
            await connection.scalars(
                select(Episode.id)
                .where(Episode.team_id == team_id, Episode.status == EpisodeStatus.ACTIVE)
                .order_by(Episode.id)
            )
        )
    chosen = sorted(random.Random(5).sample(active, min(count, len(active))))
    # Opened on the real clock: the console's ages are the nurse's.
    await add_open_alerts(engine, datetime.now(UTC), chosen, random.Random(6))
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE alerts"))
    return len(chosen)


async def _idle_ticks(runtime: BotRuntime, ticks: int) -> dict[str, Any]:
    for _ in range(WARM_UP):
        await runtime.dispatcher.tick()
    backends = await _backends(runtime)
    server_before = _cpu(backends)
    cpu_before = time.process_time()
    took = []
    for _ in range(ticks):
        started = time.perf_counter()
        await runtime.dispatcher.tick()
        took.append(time.perf_counter() - started)
    cpu = (time.process_time() - cpu_before) / ticks
    server = (_cpu(backends) - server_before) / ticks
    return summary_ms(took) | {
        "bot_cpu_ms": round(cpu * 1000, 2),
        "server_cpu_ms": round(server * 1000, 2),
        "backends": len(backends),
    }


async def _backends(runtime: BotRuntime) -> list[int]:
    """The server's processes serving the bot's connections (all of this database's but
    the one asking)."""
    async with runtime.engine.connect() as connection:
        found = await connection.scalars(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        mine = await connection.scalar(text("SELECT pg_backend_pid()"))
        return [int(pid) for pid in found] + [int(mine or 0)]


def _cpu(pids: list[int]) -> float:
    return sum(process_cpu_seconds(pid) or 0.0 for pid in pids)


async def _console(database_url: str, repeats: int) -> tuple[dict[str, Any], list[Any]]:
    """The worklist and the roster's first page, asked for by a nurse of the first team."""
    engine = create_engine(database_url)
    try:
        sessions = session_factory(engine)
        now = datetime.now(UTC)
        app = nurses_console(sessions)
        token = await nurse_sign_in(sessions, now)
        log = plans.StatementLog(engine)
        pages: dict[str, Any] = {}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=CONSOLE_URL
        ) as browser:
            signed_in = await browser.post(f"/sign-in/{token}")
            assert signed_in.status_code == 303, signed_in.status_code
            for name, path in (("worklist", "/"), ("roster", "/patients")):

                def ask(path: str = path) -> Awaitable[httpx.Response]:
                    return browser.get(path)

                with log.recording(name):
                    pages[name] = await measure(ask, repeats)
        return pages, await plans.explain(log, buffers=True)
    finally:
        await engine.dispose()


def report(results: dict[str, Any]) -> str:
    """The figures of each size, and the plans' execution times, as tables."""
    rows, plan_rows = [], []
    for size, found in results["million"].items():
        tick, run = found["idle_tick"], found["eras_run"]
        console = found["console"]
        rows.append(
            [
                f"{int(size):,}",
                found["load"]["rows"]["checkins"],
                found["load"]["total_seconds"],
                found["database_mb"],
                f"{tick['p50_ms']} / {tick['p95_ms']}",
                f"{tick['bot_cpu_ms']} + {tick['server_cpu_ms']}",
                run["seconds_to_first_poll"],
                f"{run['resident_mb']} ({run['peak_resident_mb']})",
                *(
                    f"{console[p]['server_ms']['p50_ms']} / {console[p]['server_ms']['p95_ms']}"
                    for p in ("worklist", "roster")
                ),
                " / ".join(str(v) for v in found["load_average"]["end"] or ()),
            ]
        )
        plan_rows += [
            [f"{int(size):,}", ", ".join(q["phases"]), q["query"][:60], q.get("execution_ms")]
            for q in found["queries"]
        ]
    headers = ["patients", "check-ins", "load s", "db MB", "idle tick ms p50 / p95"]
    headers += ["tick CPU ms bot + db", "start-up s", "RSS MB (peak)"]
    headers += ["worklist ms p50 / p95", "roster ms p50 / p95", "load average"]
    return (
        "A million enrolled, PostgreSQL (copied in)\n"
        + table(headers, rows)
        + "\n\nIts statements, EXPLAIN (ANALYZE, BUFFERS)\n"
        + table(["patients", "when", "statement", "ms"], plan_rows)
    )
