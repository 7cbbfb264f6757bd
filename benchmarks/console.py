"""Console: how long the care team's pages take on the server, and what they weigh, for a
team following 100,000 enrolled patients (20,000 active, 500 open alerts).

A fresh database holds the ward (``benchmarks.console_ward``); the console application runs
in this process and is reached through httpx's ASGI transport by a nurse signed in with a
one-time link, as a browser would (cookie, no socket). Each page is asked for again and
again; the time of one request is from the request handed to the application to the last
byte of its answer: the server's time, without a network. The statements each page ran
are then explained on the database (``benchmarks.plans``).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette

from benchmarks import plans
from benchmarks.console_ward import Ward, load_ward
from benchmarks.stats import summary_ms
from bot.clock import SystemClock
from bot.context import Services, Site
from bot.patients.records.roster import PAGE_SIZE
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.staff.registry import StaffRole, add_staff
from bot.staff.sign_in.links import issue_link
from bot.web.app import console_app
from bot.web.console import Console
from bot.web.pages.roster import COLUMNS
from db.engine import create_engine, session_factory
from db.models import Episode, Patient, Staff

CONSOLE_URL = "http://console.bench"
WARM_UP = 3  # requests of each page before the timed ones (caches, the planner)
PATIENT_PAGES = 20  # different patients' pages, in turn


async def console_pages(
    url: str,
    *,
    patients: int,
    active: int,
    open_alerts: int,
    repeats: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        now = datetime.now(UTC)
        started = time.perf_counter()
        ward = await load_ward(
            engine, now, patients=patients, active=active, open_alerts=open_alerts
        )
        loaded_s = round(time.perf_counter() - started, 1)
        progress(f"console: ward loaded in {loaded_s:,} s ({ward.rows})")
        measured = await measure_pages(engine, ward, repeats=repeats, progress=progress)
        return {
            "patients": patients,
            "rows": ward.rows,
            "load_seconds": loaded_s,
            "repeats": repeats,
            **measured,
        }
    finally:
        await engine.dispose()


async def measure_pages(
    engine: AsyncEngine,
    ward: Ward,
    *,
    repeats: int,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Each page of the console on a loaded ward, timed and weighed; then the plans of the
    statements they ran. A ward kept from an earlier load will do (``ward.json``)."""
    now = datetime.now(UTC)  # a sign-in link lasts minutes: not from before the load
    sessions = session_factory(engine)
    app = nurses_console(sessions)
    token = await nurse_sign_in(sessions, now)
    log = plans.StatementLog(engine)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=CONSOLE_URL
    ) as browser:
        signed_in = await browser.post(f"/sign-in/{token}")
        assert signed_in.status_code == 303, signed_in.status_code
        csrf = _csrf((await browser.get("/patients")).text)
        rng = random.Random(3)
        far = await _far_in(sessions, ward.team_id, min(999 * PAGE_SIZE, len(ward.refs) // 2))
        pages = _pages(
            browser, csrf, ward.alerted_episode_ids, ward.active_episode_ids, ward.refs, rng, far
        )
        measured: dict[str, Any] = {}
        for name, ask in pages.items():
            with log.recording(name):
                measured[name] = await measure(ask, repeats)
            found = measured[name]
            progress(f"console: {name}: {found['server_ms']}, {found['bytes_max']:,} bytes")
    return {"pages": measured, "queries": await plans.explain(log)}


def nurses_console(sessions: async_sessionmaker[AsyncSession]) -> Starlette:
    """The console as ``eras run`` serves it, on the benchmark's database."""
    services = Services(
        sessions,
        ProtocolCatalogue(load_protocols(None)),
        Site("112", console_url=CONSOLE_URL),
        SystemClock(),
        lambda: None,
    )
    return console_app(Console(services, CONSOLE_URL, no_health))


async def nurse_sign_in(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
    """A sign-in link's token for a nurse of Ward 1 (added the first time)."""
    async with sessions.begin() as session:
        nurse = await session.scalar(select(Staff).where(Staff.name == "Nurse"))
        if nurse is None:
            await add_staff(
                session,
                name="Nurse",
                role=StaffRole.NURSE,
                team_name="Ward 1",
                on_call=False,
                telegram_id=None,
                now=now,
                actor="cli:bench",
            )
    async with sessions.begin() as session:
        nurse = await session.scalar(select(Staff).where(Staff.name == "Nurse"))
        assert nurse is not None
        return await issue_link(session, nurse, now)


def _pages(
    browser: httpx.AsyncClient,
    csrf: str,
    alerted: list[int],
    active: list[int],
    refs: list[str],
    rng: random.Random,
    far: int,
) -> dict[str, Callable[[], Awaitable[httpx.Response]]]:
    """What is asked for, by name: each a request a nurse makes."""
    half = PATIENT_PAGES // 2
    shown = rng.sample(alerted, min(half, len(alerted))) + rng.sample(active, half)
    turn = iter(range(10**9))

    def get(path: str) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: browser.get(path)

    def search(terms: str) -> Callable[[], Awaitable[httpx.Response]]:
        return lambda: browser.post("/patients", data={"csrf": csrf, "search": terms})

    def patient() -> Awaitable[httpx.Response]:
        return browser.get(f"/patients/{shown[next(turn) % len(shown)]}")

    pages: dict[str, Callable[[], Awaitable[httpx.Response]]] = {
        "worklist": get("/"),
        "roster": get("/patients"),
    }
    for sort, _ in COLUMNS:
        for order in ("asc", "desc"):
            pages[f"roster by {sort.replace('_', ' ')}, {order}"] = get(
                f"/patients?sort={sort}&order={order}"
            )
    # Pages follow one another from the last row shown: page 1,000 is the one after its
    # 49,950th row, as its "Next" link on page 999 asks for it.
    pages["roster, page 1,000"] = get(f"/patients?page=1000&after={far}")
    pages["roster search, a reference"] = search(refs[len(refs) // 2][:-2])  # a hundred
    pages["roster search, a name"] = search("garcia")
    pages["patient page"] = patient
    return pages


async def _far_in(sessions: async_sessionmaker[AsyncSession], team_id: int, rows: int) -> int:
    """The episode shown ``rows``-th in the roster's default order (the last of page 999 in
    a ward of 100,000; halfway down a smaller one)."""
    async with sessions() as session:
        last = await session.scalar(
            select(Episode.id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Episode.team_id == team_id, Patient.erased_at.is_(None))
            .order_by(Patient.ref, Episode.id)
            .offset(max(rows - 1, 0))
            .limit(1)
        )
    assert last is not None, "an empty ward"
    return last


async def measure(ask: Callable[[], Awaitable[httpx.Response]], repeats: int) -> dict[str, Any]:
    for _ in range(WARM_UP):
        answer = await ask()
        assert answer.status_code == 200, answer.status_code
    seconds: list[float] = []
    cpu: list[float] = []  # this process's (the application's; SQLite's work too)
    sizes: list[int] = []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = await ask()
        seconds.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert answer.status_code == 200, answer.status_code
        sizes.append(len(answer.content))
    return {
        "server_ms": summary_ms(seconds),
        "cpu_ms": summary_ms(cpu),
        "bytes_max": max(sizes),
        "bytes_min": min(sizes),
    }


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the roster"
    return found.group(1)


async def no_health() -> dict[str, Any]:
    return {}
