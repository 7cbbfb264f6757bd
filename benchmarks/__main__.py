"""``python -m benchmarks`` (``make bench``): the performance benchmarks, against the sandbox,
on SQLite and PostgreSQL. Not part of the installed bot: run from a checkout."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import click

from benchmarks.databases import Databases
from benchmarks.report import render
from benchmarks.runner import BENCHMARKS, ON_REQUEST, Sizes, run

BACKENDS = ("sqlite", "postgresql")


def _numbers(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise click.BadParameter(f"expected numbers separated by commas, not {text!r}") from None


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--only",
    "only",
    multiple=True,
    type=click.Choice(BENCHMARKS + ON_REQUEST),
    help="Run only these (repeat); million only when asked for",
)
@click.option(
    "--backend", "backends", multiple=True, type=click.Choice(BACKENDS), help="Default: both"
)
@click.option(
    "--postgres-url",
    envvar="ERAS_BENCH_POSTGRES_URL",
    help="A PostgreSQL server the benchmarks may create and drop databases on "
    "[default: postgres@127.0.0.1:5432]",
)
@click.option("--check-ins", default=10_000, show_default=True, help="Dispatch: due at once")
@click.option(
    "--burst-patients", default="1000,3000", show_default=True, help="Burst: due at once, per run"
)
@click.option("--burst-runs", default=3, show_default=True, help="Burst: runs of each size")
@click.option("--alert-patients", default=200, show_default=True, help="Alerts: replying per run")
@click.option("--alert-rates", default="10,50", show_default=True, help="Alerts: replies/s")
@click.option("--backlog", default=10_000, show_default=True, help="Alerts: due meanwhile")
@click.option("--cohorts", default="1000,10000,100000", show_default=True, help="Scale: patients")
@click.option("--due", default=1_000, show_default=True, help="Scale: check-ins due at one tick")
@click.option("--enrolments", default=200, show_default=True, help="Scale: enrolled, timed")
@click.option("--ticks", default=50, show_default=True, help="Scale: idle ticks timed")
@click.option("--bulk-patients", default=1_000, show_default=True, help="Enrolment: in one list")
@click.option("--flood-patients", default=100, show_default=True, help="Flood: writing, per run")
@click.option("--flood-messages", default=2_000, show_default=True, help="Flood: one stranger's")
@click.option("--sends", default=10_000, show_default=True, help="Sends: in the outbox at once")
@click.option(
    "--profile",
    help="Sends: the sender under cProfile, statistics to PROFILE.<backend>.pstats; "
    "alerts: the timed runs, to PROFILE.alerts.<backend>.pstats",
)
@click.option(
    "--scaleout-processes",
    default="1,2,4",
    show_default=True,
    help="Scale-out: bot processes on one PostgreSQL, per run (sends: --sends)",
)
@click.option("--outcome-patients", default=20_000, show_default=True, help="Outcomes: followed up")
@click.option(
    "--fhir-patients",
    default="1000,5000,20000",
    show_default=True,
    help="Outcomes: FHIR-exported, each size in a process of its own",
)
@click.option("--console-patients", default=100_000, show_default=True, help="Console: enrolled")
@click.option("--console-active", default=20_000, show_default=True, help="Console: active")
@click.option("--console-alerts", default=500, show_default=True, help="Console: open alerts")
@click.option(
    "--console-repeats", default=50, show_default=True, help="Console: requests a page, timed"
)
@click.option(
    "--million-patients",
    default="1000000",
    show_default=True,
    help="Million (PostgreSQL): enrolled, copied in, per run",
)
@click.option("--scoring-seconds", default=3.0, show_default=True)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def bench(
    only: tuple[str, ...],
    backends: tuple[str, ...],
    postgres_url: str | None,
    check_ins: int,
    burst_patients: str,
    burst_runs: int,
    alert_patients: int,
    alert_rates: str,
    backlog: int,
    cohorts: str,
    due: int,
    enrolments: int,
    ticks: int,
    bulk_patients: int,
    flood_patients: int,
    flood_messages: int,
    sends: int,
    profile: str | None,
    scaleout_processes: str,
    outcome_patients: int,
    fhir_patients: str,
    console_patients: int,
    console_active: int,
    console_alerts: int,
    console_repeats: int,
    million_patients: str,
    scoring_seconds: float,
    json_path: Path | None,
) -> None:
    """Measure dispatch under Telegram's limits (paced, and against its 429s in a burst),
    alert latency, a stranger's flood, scale and scoring, and judge
    the figures against the project's goals (docs/BENCHMARKS.md).

    The bot runs for real against the sandbox over HTTP; every benchmark gets a new
    database, dropped afterwards. The full sizes take the better part of an hour; progress
    goes to stderr, the table to stdout, everything to --json.
    """
    sizes = Sizes(
        check_ins=check_ins,
        burst_patients=tuple(int(n) for n in _numbers(burst_patients)),
        burst_runs=burst_runs,
        alert_patients=alert_patients,
        alert_rates=_numbers(alert_rates),
        backlog=backlog,
        cohorts=tuple(int(n) for n in _numbers(cohorts)),
        due=due,
        enrolments=enrolments,
        ticks=ticks,
        bulk_patients=bulk_patients,
        flood_patients=flood_patients,
        flood_messages=flood_messages,
        outcome_patients=outcome_patients,
        fhir_patients=tuple(int(n) for n in _numbers(fhir_patients)),
        console_patients=console_patients,
        console_active=console_active,
        console_alerts=console_alerts,
        console_repeats=console_repeats,
        million_patients=tuple(int(n) for n in _numbers(million_patients)),
        scoring_seconds=scoring_seconds,
        sends=sends,
        profile=profile,
        scaleout_processes=tuple(int(n) for n in _numbers(scaleout_processes)),
    )
    # The bot's own warnings (e.g. an alert with nobody on call) would drown the progress.
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    results = asyncio.run(
        run(
            only or BENCHMARKS,
            backends or BACKENDS,
            sizes,
            Databases(postgres_url),
            lambda line: click.echo(line, err=True),
        )
    )
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    click.echo(render(results))


if __name__ == "__main__":
    bench()
