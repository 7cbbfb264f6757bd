"""``python -m tests.chaos`` (``make chaos``): the real bot, killed and faulted, and the proof
that nothing was lost."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import click

from tests.chaos.harness import ChaosConfig, run_chaos
from tests.chaos.report import render


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--postgres-url",
    envvar="ERAS_CHAOS_POSTGRES_URL",
    required=True,
    help="A PostgreSQL server the run may create its own database on (and drop it after); "
    "also read from ERAS_CHAOS_POSTGRES_URL",
)
@click.option("--patients", default=20, show_default=True, type=click.IntRange(1))
@click.option("--kills", default=3, show_default=True, type=click.IntRange(0))
@click.option(
    "--fault-rate",
    default=0.05,
    show_default=True,
    type=click.FloatRange(0, 0.5),
    help="Share of Bot API calls answered with 429, 5xx, a slow answer or a dropped connection",
)
@click.option("--seed", type=int, help="Makes the random choices repeatable (default: random)")
@click.option("--spread", type=float, help="Seconds over which check-ins fall due")
@click.option("--window", type=float, help="Seconds from a check-in's due time to its end")
@click.option("--quiet-timeout", default=600.0, show_default=True, type=float)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--log-dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--keep-database", is_flag=True, help="Leave the run's database for a look")
def chaos(
    postgres_url: str,
    patients: int,
    kills: int,
    fault_rate: float,
    seed: int | None,
    spread: float | None,
    window: float | None,
    quiet_timeout: float,
    json_path: Path | None,
    log_dir: Path | None,
    keep_database: bool,
) -> None:
    """Run the bot as its own process on a fresh PostgreSQL database against the sandbox;
    enrol PATIENTS whose check-ins fall due within minutes (the schedule is compressed in
    the database; the bot is unmodified); let scripted patients answer; SIGKILL the bot
    KILLS times at random and restart it; have the sandbox answer with faults; then, after
    a quiet period, reconcile the schedule, the database and the sandbox's record of calls.

    Exits 1 when anything was lost, counted twice, or sent before a retry_after ran out.
    """
    config = ChaosConfig(
        postgres_url=postgres_url,
        patients=patients,
        kills=kills,
        fault_rate=fault_rate,
        seed=seed if seed is not None else random.randrange(1_000_000),
        spread=spread,
        window=window,
        quiet_timeout=quiet_timeout,
        keep_database=keep_database,
        log_dir=log_dir,
    )
    result = asyncio.run(run_chaos(config, say=lambda line: click.echo(line, err=True)))
    click.echo(render(result))
    if json_path is not None:
        json_path.write_text(json.dumps(result.to_json(), indent=2, default=str) + "\n")
    if result.failures():
        raise SystemExit(1)


if __name__ == "__main__":
    chaos()
