"""The outcomes report and the FHIR export at a hospital group's size: a follow-up of
20,000 patients (about 300,000 check-ins) bulk-loaded, then the report built in each format,
timed; and the export's peak memory against the number of patients exported, each size in a
process of its own (``benchmarks.fhir_memory``) so that one size's memory is not another's.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.outcomes_load import load_follow_up
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.reports.outcomes.reading import Scope
from bot.reports.outcomes.writing import write_report
from db.engine import create_engine, session_factory

FORMATS = ("html", "csv", "json")
CHECKOUT = Path(__file__).resolve().parents[1]


async def outcomes(database_url: str, patients: int, fhir_sizes: Sequence[int]) -> dict[str, Any]:
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        started = time.perf_counter()
        loaded = await load_follow_up(engine, patients, now)
        loaded.seconds = round(time.perf_counter() - started, 1)
        sessions = session_factory(engine)
        catalogue = ProtocolCatalogue(load_protocols(None))
        report: dict[str, Any] = {}
        with tempfile.TemporaryDirectory() as folder:
            for report_format in FORMATS:
                path = Path(folder) / f"outcomes.{report_format}"
                started, cpu = time.perf_counter(), time.process_time()
                with path.open("w", encoding="utf-8") as sink:
                    await write_report(sessions, catalogue, Scope(), report_format, sink, now=now)
                report[report_format] = {
                    "seconds": round(time.perf_counter() - started, 2),
                    # This process's CPU (SQLite's queries run in it; PostgreSQL's do not):
                    # on a shared machine, what the report itself cost.
                    "cpu_seconds": round(time.process_time() - cpu, 2),
                    "megabytes": round(path.stat().st_size / 1e6, 1),
                }
    finally:
        await engine.dispose()
    export = [await _export_in_a_process(database_url, size) for size in fhir_sizes]
    return {
        "patients": loaded.patients,
        "rows": loaded.rows,
        "load_seconds": loaded.seconds,
        "report": report,
        "fhir_export": export,
    }


async def _export_in_a_process(database_url: str, patients: int) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.fhir_memory",
        database_url,
        str(patients),
        stdout=asyncio.subprocess.PIPE,
        env=os.environ | {"PYTHONPATH": str(CHECKOUT)},
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"the FHIR export of {patients:,} patients failed")
    found: dict[str, Any] = json.loads(out)
    return found
