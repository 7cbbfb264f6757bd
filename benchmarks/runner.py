"""Running the benchmarks: each on every backend asked for, with its own fresh database and
its own sandbox, and the figures gathered in one JSON-ready dictionary."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import goals, machine, scoring
from benchmarks.alerts import alert_latency
from benchmarks.burst import burst, summary
from benchmarks.client import client_alone
from benchmarks.console import console_pages
from benchmarks.databases import Databases
from benchmarks.dispatch import dispatch
from benchmarks.enrolment import bulk_enrolment
from benchmarks.flood import stranger_flood
from benchmarks.million import million
from benchmarks.outcomes import outcomes
from benchmarks.scale import one_cohort
from benchmarks.scaleout import scale_out
from benchmarks.sends import durable_sends
from benchmarks.telegram import Telegram, telegram_process
from bot.delivery.sender import IN_FLIGHT
from bot.sandbox.api.limits import Limits

BENCHMARKS = (
    "dispatch",
    "sends",
    "scaleout",
    "burst",
    "alerts",
    "flood",
    "scale",
    "enrolment",
    "outcomes",
    "console",
    "scoring",
)
# Asked for by name only (``--only million``): a quarter of an hour of loading on its own.
ON_REQUEST = ("million",)


@dataclass(frozen=True)
class Sizes:
    check_ins: int = 10_000  # due at the same minute (dispatch)
    alert_patients: int = 200  # replying, per run (alerts)
    alert_rates: tuple[float, ...] = (10.0, 50.0)  # replies per second
    backlog: int = 10_000  # check-ins the dispatcher is busy with meanwhile (alerts)
    cohorts: tuple[int, ...] = (1_000, 10_000, 100_000)  # enrolled patients (scale)
    due: int = 1_000  # check-ins due at one tick (scale)
    enrolments: int = 200  # patients enrolled through the service, timed (scale)
    ticks: int = 50  # ticks with nothing due, timed (scale)
    flood_patients: int = 100  # writing /status, per run (flood)
    flood_messages: int = 2_000  # from one stranger, as fast as it can (flood)
    scoring_seconds: float = 3.0
    client_sends: int = 2_000  # python-telegram-bot alone, per number in flight (dispatch)
    client_in_flight: tuple[int, ...] = (1, 4, IN_FLIGHT)
    burst_patients: tuple[int, ...] = (1_000, 3_000)  # due at the same minute (burst)
    burst_runs: int = 3  # of each size
    bulk_patients: int = 1_000  # in one list (enrolment)
    sends: int = 10_000  # in the outbox, drained by the sender alone (sends)
    profile: str | None = None  # where the sends and alerts benchmarks' cProfile statistics go
    scaleout_processes: tuple[int, ...] = (1, 2, 4)  # bot processes on one PostgreSQL
    outcome_patients: int = 20_000  # followed up, bulk-loaded (outcomes)
    fhir_patients: tuple[int, ...] = (1_000, 5_000, 20_000)  # exported, per run (outcomes)
    console_patients: int = 100_000  # enrolled, of one team (console)
    console_active: int = 20_000  # of them, followed now
    console_alerts: int = 500  # open
    console_repeats: int = 50  # requests of each page, timed
    million_patients: tuple[int, ...] = (1_000_000,)  # enrolled, copied in (million)
    million_ticks: int = 200  # idle ticks timed
    million_alerts: int = 500  # open, on the first team's worklist
    million_repeats: int = 20  # requests of each console page, timed


Progress = Callable[[str], None]


async def run(
    only: Sequence[str],
    backends: Sequence[str],
    sizes: Sizes,
    databases: Databases,
    progress: Progress = lambda _: None,
) -> dict[str, Any]:
    results: dict[str, Any] = {
        "machine": machine.describe(),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "backends": list(backends),
        "sizes": asdict(sizes),
    }
    for backend in backends:
        # One sandbox per backend, emptied before each benchmark: starting one takes seconds.
        async with telegram_process() as telegram:
            if "dispatch" in only:
                results.setdefault("dispatch", {})[backend] = {
                    limits: await _timed(
                        progress,
                        f"dispatch, {backend}, {limits.replace('_', ' ')}",
                        _dispatch(databases, telegram, backend, sizes.check_ins, limits),
                    )
                    for limits in ("telegram_limits", "no_limits")
                }
                if "telegram_client" not in results:  # no database in it: once is enough
                    await telegram.client.reset()
                    results["telegram_client"] = await _timed(
                        progress,
                        "python-telegram-bot alone",
                        client_alone(telegram, sizes.client_sends, sizes.client_in_flight),
                    )
            if "sends" in only:
                results.setdefault("sends", {})[backend] = await _timed(
                    progress,
                    f"durable sends, {backend}, {sizes.sends:,}",
                    _sends(databases, telegram, backend, sizes),
                )
            if "scaleout" in only and backend == "postgresql":
                results["scaleout"] = await _scale_outs(databases, telegram, sizes, progress)
            if "burst" in only:
                results.setdefault("burst", {})[backend] = {
                    str(size): await _bursts(databases, telegram, backend, size, sizes, progress)
                    for size in sizes.burst_patients
                }
            if "alerts" in only:
                results.setdefault("alerts", {})[backend] = await _timed(
                    progress,
                    f"alert latency, {backend}",
                    _alerts(databases, telegram, backend, sizes),
                )
            if "flood" in only:
                results.setdefault("flood", {})[backend] = await _timed(
                    progress,
                    f"a stranger's flood, {backend}",
                    _flood(databases, telegram, backend, sizes),
                )
            if "million" in only and backend == "postgresql":
                results["million"] = {
                    str(size): await _timed(
                        progress,
                        f"million, {size:,} patients",
                        _million(databases, telegram, size, sizes, progress),
                    )
                    for size in sizes.million_patients
                }
            if "scale" in only:
                results.setdefault("scale", {})[backend] = {
                    str(size): await _timed(
                        progress,
                        f"scale, {backend}, {size:,} patients",
                        _scale(databases, telegram, backend, size, sizes),
                    )
                    for size in sizes.cohorts
                }
        if "console" in only:  # no Telegram in it
            results.setdefault("console", {})[backend] = await _timed(
                progress,
                f"console, {backend}, {sizes.console_patients:,} patients",
                _console(databases, backend, sizes, progress),
            )
        if "enrolment" in only:  # no Telegram in it
            results.setdefault("enrolment", {})[backend] = await _timed(
                progress,
                f"bulk enrolment, {backend}, {sizes.bulk_patients:,} patients",
                _bulk(databases, backend, sizes.bulk_patients),
            )
        if "outcomes" in only:  # no Telegram in it
            results.setdefault("outcomes", {})[backend] = await _timed(
                progress,
                f"outcomes report and FHIR export, {backend}, {sizes.outcome_patients:,} patients",
                _outcomes(databases, backend, sizes),
            )
    if "scoring" in only:
        progress("scoring, one core")
        results["scoring"] = scoring.measure(sizes.scoring_seconds)
    results["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["load_average_at_end"] = machine.describe()["load_average"]
    results["goals"] = goals.evaluate(results)
    return results


async def _timed(progress: Progress, what: str, work: Any) -> Any:
    progress(f"{what} …")
    started = time.perf_counter()
    found = await work
    progress(f"{what}: done in {time.perf_counter() - started:,.0f} s")
    return found


async def _dispatch(
    databases: Databases, telegram: Telegram, backend: str, check_ins: int, limits: str
) -> Any:
    await telegram.client.reset()
    async with databases.fresh(backend, "dispatch") as url:
        return await dispatch(url, telegram, check_ins, limited=limits == "telegram_limits")


async def _sends(databases: Databases, telegram: Telegram, backend: str, sizes: Sizes) -> Any:
    await telegram.client.reset()
    profile = Path(f"{sizes.profile}.{backend}.pstats") if sizes.profile else None
    async with databases.fresh(backend, "sends") as url:
        return await durable_sends(url, telegram, sizes.sends, profile=profile)


async def _scale_outs(
    databases: Databases, telegram: Telegram, sizes: Sizes, progress: Progress
) -> list[Any]:
    """The same messages (``sizes.sends``) to the same patients, each count of processes on
    a database of its own."""
    await telegram.client.reset()
    await telegram.client.enforce_limits(False, Limits())
    chats = await telegram.patients(sizes.sends)
    runs = []
    for processes in sizes.scaleout_processes:
        async with databases.fresh("postgresql", "scaleout") as url:
            runs.append(
                await _timed(
                    progress,
                    f"scale-out, {processes} processes, {sizes.sends:,} sends",
                    scale_out(url, telegram, chats, processes),
                )
            )
    return runs


async def _bursts(
    databases: Databases,
    telegram: Telegram,
    backend: str,
    patients: int,
    sizes: Sizes,
    progress: Progress,
) -> dict[str, Any]:
    runs = []
    for number in range(1, sizes.burst_runs + 1):
        await telegram.client.reset()
        async with databases.fresh(backend, "burst") as url:
            runs.append(
                await _timed(
                    progress,
                    f"burst, {backend}, {patients:,} patients, run {number}",
                    burst(url, telegram, patients),
                )
            )
    return {"summary": summary(runs), "runs": runs}


async def _bulk(databases: Databases, backend: str, patients: int) -> Any:
    async with databases.fresh(backend, "enrolment") as url:
        return await bulk_enrolment(url, patients)


async def _outcomes(databases: Databases, backend: str, sizes: Sizes) -> Any:
    async with databases.fresh(backend, "outcomes") as url:
        return await outcomes(url, sizes.outcome_patients, sizes.fhir_patients)


async def _console(databases: Databases, backend: str, sizes: Sizes, progress: Progress) -> Any:
    async with databases.fresh(backend, "console") as url:
        return await console_pages(
            url,
            patients=sizes.console_patients,
            active=sizes.console_active,
            open_alerts=sizes.console_alerts,
            repeats=sizes.console_repeats,
            progress=progress,
        )


async def _million(
    databases: Databases, telegram: Telegram, patients: int, sizes: Sizes, progress: Progress
) -> Any:
    await telegram.client.reset()
    async with databases.fresh("postgresql", "million") as url:
        return await million(
            url,
            telegram,
            patients,
            ticks=sizes.million_ticks,
            open_alerts=sizes.million_alerts,
            repeats=sizes.million_repeats,
            progress=progress,
        )


async def _alerts(databases: Databases, telegram: Telegram, backend: str, sizes: Sizes) -> Any:
    await telegram.client.reset()
    profile = Path(f"{sizes.profile}.alerts.{backend}.pstats") if sizes.profile else None
    async with databases.fresh(backend, "alerts") as url:
        return await alert_latency(
            url,
            telegram,
            patients=sizes.alert_patients,
            rates=sizes.alert_rates,
            backlog=sizes.backlog,
            profile=profile,
        )


async def _flood(databases: Databases, telegram: Telegram, backend: str, sizes: Sizes) -> Any:
    await telegram.client.reset()
    async with databases.fresh(backend, "flood") as url:
        return await stranger_flood(
            url, telegram, patients=sizes.flood_patients, messages=sizes.flood_messages
        )


async def _scale(
    databases: Databases, telegram: Telegram, backend: str, size: int, sizes: Sizes
) -> Any:
    await telegram.client.reset()
    async with databases.fresh(backend, "scale") as url:
        return await one_cohort(
            url,
            telegram,
            size,
            due=sizes.due,
            enrolments=sizes.enrolments,
            ticks=sizes.ticks,
        )
