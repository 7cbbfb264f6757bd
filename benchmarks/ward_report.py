"""The report's tables of what the care team's side costs: bulk enrolment, the outcomes
report and FHIR export, and the console's pages."""

from __future__ import annotations

from typing import Any

from benchmarks.tables import table


def outcomes(results: dict[str, Any]) -> str:
    report_rows, export_rows = [], []
    for backend, found in results["outcomes"].items():
        rows = found["rows"]
        report_rows.append(
            [
                backend,
                found["patients"],
                rows.get("checkins"),
                rows.get("answers"),
                found["load_seconds"],
                *(_seconds(found["report"][kind]) for kind in ("html", "csv", "json")),
            ]
        )
        export_rows += [
            [
                backend,
                e["patients"],
                e["resources"],
                e["seconds"],
                e["patients_per_second"],
                e["baseline_rss_mb"],
                e["peak_rss_mb"],
            ]
            for e in found["fhir_export"]
        ]
    report_headers = ["backend", "patients", "check-ins", "answers", "load s"]
    export_headers = ["backend", "patients", "resources", "s", "patients/s", "base MB", "peak MB"]
    return (
        "Outcomes report (bulk-loaded follow-up; seconds a format)\n"
        + table([*report_headers, "html s", "csv s", "json s"], report_rows)
        + "\n\nFHIR export, a process a size (peak resident memory)\n"
        + table(export_headers, export_rows)
    )


def _seconds(figures: dict[str, Any]) -> str:
    """Wall-clock seconds, and the process's CPU seconds where measured."""
    cpu = figures.get("cpu_seconds")
    return f"{figures['seconds']:,.1f}" + (f" ({cpu:,.1f} CPU)" if cpu is not None else "")


def enrolment(results: dict[str, Any]) -> str:
    rows = []
    for backend, found in results["enrolment"].items():
        phases = found["phases_ms_per_patient"]
        rows.append(
            [
                backend,
                found["patients"],
                found["ms_per_patient"],
                found["cpu_ms_per_patient"],
                phases["read_and_check_file"],
                phases["check_and_enrol_in_database"],
                phases["render_sheets"],
            ]
        )
    headers = ["backend", "patients", "ms/patient", "CPU ms", "read file", "enrol", "sheets"]
    return "Bulk enrolment: one list, one transaction (ms a patient)\n" + table(headers, rows)


def console(results: dict[str, Any]) -> str:
    rows, plans = [], []
    for backend, found in results["console"].items():
        for page, f in found["pages"].items():
            ms, cpu = f["server_ms"], f["cpu_ms"]
            rows.append(
                [
                    backend,
                    page,
                    ms["p50_ms"],
                    ms["p95_ms"],
                    ms["max_ms"],
                    cpu["p50_ms"],
                    f["bytes_max"],
                ]
            )
        bad = [q for q in found.get("queries", []) if q["reads_big_table_without_index"]]
        plans.append(
            f"{backend}, {found['patients']:,} patients: {len(found.get('queries', []))} "
            f"statements, {len(bad)} reading a big table without an index"
        )
        plans += [
            f"  {q['query']}  ({q['origin']}; {', '.join(q['reads_big_table_without_index'])})"
            for q in bad
        ]
    headers = ["backend", "page", "p50 ms", "p95 ms", "max ms", "CPU p50 ms", "bytes"]
    return "Console\n" + table(headers, rows) + "\n\nConsole query plans\n" + "\n".join(plans)
