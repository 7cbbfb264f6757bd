"""``python -m benchmarks.fhir_memory URL N``: the FHIR export of the first N patients of a
database, written to nowhere, in this process alone; prints its time and peak memory (JSON).

The resident set is sampled before the first Bundle (the baseline, after the imports) and
every few Bundles while they are written: its highest value, against the baseline, is what
the export itself held. The process's own peak (``ru_maxrss``) is given too.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from bot.exports.fhir import Scope, bundles, open_export
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from db.engine import create_engine, session_factory

NAMESPACE = UUID("6d1f0c0e-5b7a-4c49-9d0e-0e5b2b8d4a11")


def _resident_mb() -> float:
    """The resident set now (``VmRSS``): sampled while the Bundles are written, its highest
    value is what the export held at once. (``ru_maxrss`` alone would hide it under the
    imports' own peak.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _process_peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


SAMPLE_EVERY = 20  # Bundles


async def export(database_url: str, patients: int) -> dict[str, Any]:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    catalogue = ProtocolCatalogue(load_protocols(None))
    try:
        opened = await open_export(sessions, Scope(), now=datetime.now(UTC), actor="cli:benchmark")
        baseline = peak = _resident_mb()
        started, cpu = time.perf_counter(), time.process_time()
        exported = resources = written = 0
        async for bundle in bundles(sessions, catalogue, opened, NAMESPACE):
            line = json.dumps(bundle)
            written += len(line) + 1
            resources += len(bundle["entry"])
            exported += 1
            if exported % SAMPLE_EVERY == 0:
                peak = max(peak, _resident_mb())
            if exported == patients:
                break
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        peak = max(peak, _resident_mb())
    finally:
        await engine.dispose()
    return {
        "patients": exported,
        "resources": resources,
        "megabytes_written": round(written / 1e6, 1),
        "seconds": round(seconds, 1),
        # This process's CPU: on a shared machine, what the export itself cost (with SQLite's
        # queries, without PostgreSQL's).
        "cpu_seconds": round(cpu_seconds, 1),
        "patients_per_second": round(exported / seconds, 1) if seconds else None,
        "baseline_rss_mb": baseline,
        "peak_rss_mb": peak,
        "process_peak_rss_mb": _process_peak_mb(),
    }


if __name__ == "__main__":
    url, count = sys.argv[1], int(sys.argv[2])
    print(json.dumps(asyncio.run(export(url, count))))
