"""The figures of a run as tables a person reads (``--json`` keeps everything)."""

from __future__ import annotations

from typing import Any

from benchmarks import million
from benchmarks.tables import table
from benchmarks.ward_report import console, enrolment, outcomes


def render(results: dict[str, Any]) -> str:
    parts = [_machine(results)]
    if "dispatch" in results:
        parts.append(_dispatch(results))
    if "sends" in results:
        parts.append(_sends(results))
    if "scaleout" in results:
        parts.append(_scale_out(results["scaleout"]))
    if "burst" in results:
        parts.append(_burst(results))
    if "telegram_client" in results:
        parts.append(
            "python-telegram-bot alone: no database, no outbox, no pacing\n"
            + table(
                ["in flight", "sends", "sends/s", "CPU ms/send"],
                [
                    [r["in_flight"], r["sends"], r["sends_per_second"], r["cpu_ms_per_send"]]
                    for r in results["telegram_client"]
                ],
            )
        )
    if "alerts" in results:
        parts.append(_alerts(results))
    if "flood" in results:
        parts.append(_flood(results))
    if "scale" in results:
        parts.append(_scale(results))
    if "million" in results:
        parts.append(million.report(results))
    if "enrolment" in results:
        parts.append(enrolment(results))
    if "outcomes" in results:
        parts.append(outcomes(results))
    if "console" in results:
        parts.append(console(results))
    if "scoring" in results:
        rates = results["scoring"]["check_ins_per_second"]
        parts.append(
            "Scoring, one core\n"
            + table(["protocol", "check-ins/s"], [[k, f"{v:,}"] for k, v in rates.items()])
        )
    parts.append(_goals(results["goals"]))
    return "\n\n".join(parts) + "\n"


def _machine(results: dict[str, Any]) -> str:
    m = results["machine"]
    load = ", ".join(str(x) for x in m.get("load_average") or [])
    return (
        f"Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['memory_gb']} GB RAM, "
        f"Python {m['python']}; load average at start {load or '–'}, at end "
        f"{', '.join(str(x) for x in results.get('load_average_at_end') or []) or '–'}"
    )


def _sends(results: dict[str, Any]) -> str:
    rows = []
    for backend, found in results["sends"].items():
        for who, figures in (
            ("python-telegram-bot alone, before", found["client_before"]),
            ("the outbox sender", found),
            ("python-telegram-bot alone, after", found["client_after"]),
        ):
            rows.append([backend, who, figures["sends_per_second"], figures["cpu_ms_per_send"]])
        rows.append(
            [
                backend,
                "sender ÷ client",
                found.get("throughput_share_of_client"),
                found.get("cpu_ratio_to_client"),
            ]
        )
    return (
        "Durable sends without limits, the sender alone vs python-telegram-bot alone "
        "(same in flight)\n" + table(["backend", "who", "sends/s", "CPU ms/send"], rows)
    )


def _scale_out(runs: list[dict[str, Any]]) -> str:
    columns = [
        "processes",
        "messages",
        "delivered",
        "without",
        "twice",
        "sends/s",
        "bot CPU ms/send",
        "database CPU ms/send",
    ]
    keys = [
        "processes",
        "messages",
        "delivered",
        "patients_without",
        "patients_twice",
        "sends_per_second",
        "bot_cpu_ms_per_send",
        "database_cpu_ms_per_send",
    ]
    return "Scale-out on PostgreSQL, Telegram's limits off\n" + table(
        columns, [[run.get(key) for key in keys] for run in runs]
    )


def _dispatch(results: dict[str, Any]) -> str:
    rows = []
    for backend, runs in results["dispatch"].items():
        for limits, f in runs.items():
            rows.append(
                [
                    backend,
                    limits.replace("_", " "),
                    f["check_ins"],
                    f["messages"],
                    f["seconds_to_deliver_all"],
                    f["sends_per_second"],
                    f.get("share_of_cap"),
                    f["too_many_requests"],
                    f["lateness_max_seconds"],
                    f["two_within_a_second"]["patients"],
                    f["bot_cpu_seconds_per_1000_sends"],
                ]
            )
    headers = [
        "backend",
        "limits",
        "check-ins",
        "messages",
        "all sent (s)",
        "sends/s",
        "of cap",
        "429s",
        "latest (s)",
        "2 in 1 s",
        "CPU s/1000",
    ]
    return "Dispatch: check-ins due at the same minute\n" + table(headers, rows)


def _burst(results: dict[str, Any]) -> str:
    rows = []
    for backend, sizes in results["burst"].items():
        for size, found in sizes.items():
            for number, f in enumerate(found["runs"], 1):
                rows.append(
                    [
                        backend,
                        int(size),
                        number,
                        f["finished"],
                        f["sends_per_second"],
                        f["share_of_cap"],
                        f["most_in_one_second"],
                        f["too_many_requests"],
                        f["seconds_to_last_check_in"],
                        f["reply_ms"],
                        f["card_ms"],
                        f["messages_left_when_card_arrived"],
                    ]
                )
    headers = [
        "backend",
        "patients",
        "run",
        "all sent",
        "sends/s",
        "of cap",
        "most in 1 s",
        "429s",
        "last check-in (s)",
        "reply ms",
        "card ms",
        "left behind card",
    ]
    return (
        "Burst: due at the same minute, Telegram's 429s in sliding windows; a red flag "
        "mid-burst\n" + table(headers, rows)
    )


def _flood(results: dict[str, Any]) -> str:
    rows = [
        [
            backend,
            run,
            f[run]["reply_to_answer"]["n"],
            f[run]["reply_to_answer"]["p50_ms"],
            f[run]["reply_to_answer"]["p99_ms"],
            f[run]["reply_to_answer"]["max_ms"],
            f[run]["unanswered"],
            f["answers_to_the_stranger"] if run == "flood" else "",
        ]
        for backend, f in results["flood"].items()
        for run in ("quiet", "flood")
    ]
    headers = ["backend", "run", "replies", "p50 ms", "p99 ms", "max ms", "unanswered"]
    return "A stranger's flood: patient's /status → answer\n" + table(
        [*headers, "answers to the stranger"], rows
    )


def _alerts(results: dict[str, Any]) -> str:
    rows = []
    for backend, runs in results["alerts"].items():
        for name, f in runs.items():
            if not isinstance(f, dict):
                continue
            card = f["reply_to_card"]
            rows.append(
                [
                    backend,
                    name.replace("_", " "),
                    f["replies_per_second"],
                    card["n"],
                    card["p50_ms"],
                    card["p95_ms"],
                    card["p99_ms"],
                    card["max_ms"],
                    f["cards_missing"],
                    f["too_many_requests"],
                ]
            )
    headers = [
        "backend",
        "run",
        "replies/s",
        "alerts",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "missing",
        "429s",
    ]
    return "Alert latency: patient's reply reaching the bot → card in the team's chat\n" + table(
        headers, rows
    )


def _scale(results: dict[str, Any]) -> str:
    rows, plans = [], []
    for backend, cohorts in results["scale"].items():
        for size, f in cohorts.items():
            run = f["eras_run"]
            rows.append(
                [
                    backend,
                    int(size),
                    f["rows"]["checkins"],
                    f["bulk_setup_seconds"],
                    f["enrolment_ms"]["median"],
                    f["tick_nothing_due_ms"]["median"],
                    f["tick_nothing_due_ms"]["p95"],
                    f["tick_due"]["check_ins"],
                    f["tick_due"].get("sent"),
                    f["tick_due"]["ms"],
                    run["seconds_to_first_poll"],
                    run.get("resident_mb"),
                ]
            )
            bad = [q for q in f.get("queries", []) if q["reads_big_table_without_index"]]
            checked = len(f.get("queries", []))
            plans.append(
                f"{backend}, {int(size):,} patients: {checked} statements, "
                f"{len(bad)} reading a big table without an index"
            )
            plans += [
                f"  {q['query']}  ({q['origin']}; {', '.join(q['reads_big_table_without_index'])})"
                for q in bad
            ]
    headers = [
        "backend",
        "patients",
        "check-ins",
        "setup s",
        "enrol ms",
        "idle tick ms",
        "p95",
        "due",
        "sent",
        "due tick ms",
        "start-up s",
        "RSS MB",
    ]
    return "Scale\n" + table(headers, rows) + "\n\nQuery plans\n" + "\n".join(plans)


def _goals(checks: list[dict[str, Any]]) -> str:
    rows = [
        [
            c["goal"],
            c["backend"] or "",
            c["target"],
            c["figure"],
            {True: "met", False: "MISSED", None: "not measured"}[c["met"]],
        ]
        for c in checks
    ]
    return "Goals\n" + table(["goal", "backend", "target", "figure", ""], rows)
