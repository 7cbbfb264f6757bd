"""Scale-out on PostgreSQL: 1, 2 and 4 bot processes (``eras run --webhook``, pacer off)
share one outbox of due messages on one database.

Every process claims with ``FOR UPDATE SKIP LOCKED`` and leases; the sandbox's ledger then
says whether any patient got their message twice or not at all. Figures: sends per second
from the moment the messages were written to the last one's arrival, and CPU per send, the
bot processes' and the database server's (its backends for this database, from ``/proc``).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections import Counter
from typing import Any

from sqlalchemy import func, select, text

from benchmarks import ledger
from benchmarks.sends import fill_outbox
from benchmarks.telegram import Telegram, process_cpu_seconds
from db.engine import create_engine, session_factory
from db.models import Heartbeat, OutboxMessage, OutboxStatus

SECRET = "scale-out-benchmark-secret-0123456789"
STARTED_WITHIN = 120.0
POLL = 0.1


async def scale_out(
    database_url: str, telegram: Telegram, chats: list[int], processes: int
) -> dict[str, Any]:
    workers = [await _launch(telegram, database_url) for _ in range(processes)]
    engine = create_engine(database_url)
    try:
        await _all_ticked(engine, processes)
        seq = await telegram.last_seq()
        server = await _server_pids(engine)
        cpu = {pid: process_cpu_seconds(pid) or 0.0 for pid in [w.pid for w in workers]}
        server_cpu = {pid: process_cpu_seconds(pid) or 0.0 for pid in server}
        started = time.perf_counter()
        await fill_outbox(session_factory(engine), chats)
        finished = await _drained(engine, deadline=120 + len(chats) / 20)
        elapsed = time.perf_counter() - started
        bot_cpu = sum((process_cpu_seconds(pid) or 0.0) - was for pid, was in cpu.items())
        db_cpu = sum((process_cpu_seconds(pid) or was) - was for pid, was in server_cpu.items())
    finally:
        await engine.dispose()
        errors = [await _stop(worker) for worker in workers]
    patients = set(chats)
    sent = Counter(
        call["chat_id"]
        for call in ledger.delivered(await telegram.calls("sendMessage", after=seq))
        if call["chat_id"] in patients
    )
    delivered = sum(sent.values())
    figures: dict[str, Any] = {
        "processes": processes,
        "messages": len(chats),
        "finished": finished,
        "delivered": delivered,
        "patients_without": len(patients - set(sent)),
        "patients_twice": sum(1 for n in sent.values() if n > 1),
        "sends_per_second": round(delivered / elapsed, 1) if delivered else None,
        "bot_cpu_ms_per_send": round(1000 * bot_cpu / delivered, 3) if delivered else None,
        "database_cpu_ms_per_send": round(1000 * db_cpu / delivered, 3) if delivered else None,
        "wall_seconds": round(elapsed, 2),
    }
    if any(errors):
        figures["stderr_tail"] = [e[-300:] for e in errors if e]
    return figures


async def _launch(telegram: Telegram, database_url: str) -> asyncio.subprocess.Process:
    port = _free_port()
    env = {
        **telegram.environment(database_url),
        "ERAS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ERAS_HTTP_LISTEN": f"127.0.0.1:{port}",
        "ERAS_WEBHOOK_SECRET": SECRET,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.worker",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _all_ticked(engine: Any, processes: int) -> None:
    """Every process has ticked once (its heartbeat): it is claiming."""
    give_up = time.monotonic() + STARTED_WITHIN
    while time.monotonic() < give_up:
        async with engine.connect() as connection:
            ticked = await connection.scalar(select(func.count()).select_from(Heartbeat))
        if (ticked or 0) >= processes:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{processes} bot processes did not all tick")


async def _server_pids(engine: Any) -> list[int]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        return [int(row[0]) for row in rows]


async def _drained(engine: Any, deadline: float) -> bool:
    give_up = time.monotonic() + deadline
    while time.monotonic() < give_up:
        await asyncio.sleep(POLL)
        async with engine.connect() as connection:
            left = await connection.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            )
        if not left:
            return True
    return False


async def _stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    try:
        _out, errors = await asyncio.wait_for(process.communicate(), timeout=60)
    except TimeoutError:
        process.kill()
        _out, errors = await process.communicate()
    return errors.decode(errors="replace").strip() if process.returncode else ""
