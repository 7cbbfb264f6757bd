"""A ward's list enrolled at once, as ``eras enroll --csv`` does it: the list read and
checked, every patient enrolled in one transaction, a sheet rendered for each.

The figure is milliseconds a patient, amortised over the whole list (the goal: ≤ 10 ms a
patient for 1,000), wall-clock, with the process's CPU time beside it. Writing the files
is left out: it measures the disk, not the program.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.patients.enrolment.bulk import enrol_list, read_list
from bot.patients.enrolment.sheet import Sheet, render_sheet
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import ProtocolFiles
from db.engine import create_engine, session_factory
from db.models import Team

HEADER = "ref,surgery_date,protocol,team,tz,lang,procedure\n"


def ward_list(patients: int, today: datetime) -> str:
    rows = [
        f"BULK-{n:05d},{(today + timedelta(days=n % 30 - 10)).date()},"
        f"spine-miss-lumbar,Ward 1,Europe/Madrid,{'es' if n % 2 else 'en'},L4-5 MIS-TLIF\n"
        for n in range(patients)
    ]
    return HEADER + "".join(rows)


async def bulk_enrolment(database_url: str, patients: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            session.add(
                Team(name="Ward 1", chat_id=-1001, timezone="Europe/Madrid", created_at=now)
            )
        text = ward_list(patients, now)
        cpu = time.process_time()
        started = time.perf_counter()
        catalogue = ProtocolCatalogue(ProtocolFiles(None))  # as each run of the command does
        listing = read_list(text, "ward.csv", today=now.date(), confirmed=False)
        checked = time.perf_counter()
        async with sessions.begin() as session:
            done = await enrol_list(session, catalogue, listing, now=now, actor="cli:bench")
        enrolled = time.perf_counter()
        for e in done:
            render_sheet(
                Sheet(
                    link=f"https://t.me/ward_bot?start={e.enrolment.token}",
                    expires_at=e.enrolment.token_expires_at,
                    language=e.row.language,
                    team=e.enrolment.team,
                    surgery_date=e.surgery_date,
                    procedure=e.row.procedure,
                    protocol=e.protocol,
                    emergency_number="112",
                    time_zone=e.row.time_zone,
                    discharge_date=e.row.discharge_date,
                )
            )
        finished = time.perf_counter()
        cpu = time.process_time() - cpu
    finally:
        await engine.dispose()

    def per_patient(seconds: float) -> float:
        return round(seconds * 1000 / patients, 2)

    return {
        "patients": patients,
        "seconds": round(finished - started, 2),
        "ms_per_patient": per_patient(finished - started),
        # The program's own CPU time (not the database server's): what a loaded machine
        # stretches least.
        "cpu_ms_per_patient": per_patient(cpu),
        "phases_ms_per_patient": {
            "read_and_check_file": per_patient(checked - started),
            "check_and_enrol_in_database": per_patient(enrolled - checked),
            "render_sheets": per_patient(finished - enrolled),
        },
    }
