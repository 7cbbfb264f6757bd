"""``eras synth``: made-up data for trying the reports, the console and the benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, echo_json, with_database
from bot.patients.synthetic.cohort import CohortRefused, CohortSpec, Generated, generate
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.outcomes.reading import PATHWAY_KINDS

_DAY = click.DateTime(formats=["%Y-%m-%d"])
# Far enough back that the longest follow-up (90 days after four weeks of surgeries) is over.
DEFAULT_START = timedelta(days=130)


@click.group()
def synth() -> None:
    """Synthetic data (never real patients)."""


@synth.command("cohort")
@click.option("--n", "n", type=click.IntRange(1), required=True, help="Patients, over the pathways")
@click.option(
    "--seed", type=int, default=1, show_default=True, help="The same seed, the same cohort"
)
@click.option(
    "--pathway",
    "pathways",
    multiple=True,
    type=click.Choice(sorted(PATHWAY_KINDS)),
    help="Only this pathway (repeat for several; default: the four shipped ones)",
)
@click.option("--first-surgery", type=_DAY, help="First day of surgery (default: 130 days ago)")
@click.option(
    "--spread-days",
    type=click.IntRange(1, 365),
    default=28,
    show_default=True,
    help="Surgeries fall over this many days",
)
@click.option("--json", "as_json", is_flag=True)
def cohort(
    n: int,
    seed: int,
    pathways: tuple[str, ...],
    first_surgery: datetime | None,
    spread_days: int,
    as_json: bool,
) -> None:
    """Enrol N made-up patients (references SYN-<seed>-…) with known recovery — MISS walking
    outside 3 days earlier than open, 20 % lost to follow-up — and live their whole
    follow-up through the bot's own use cases on a simulated clock (see docs/OUTCOMES.md).
    Refused when the database holds any patient the generator did not make."""
    from bot.cli.protocol import all_protocols

    catalogue = ProtocolCatalogue(all_protocols())
    start = first_surgery.date() if first_surgery else (datetime.now(UTC) - DEFAULT_START).date()
    spec = CohortSpec(
        n=n,
        seed=seed,
        pathways={p: PATHWAY_KINDS[p] for p in (pathways or sorted(PATHWAY_KINDS))},
        first_surgery=start,
        spread_days=spread_days,
    )

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Generated:
        return await generate(sessions, catalogue, spec)

    try:
        made = with_database(work)
    except CohortRefused as error:
        raise CommandFailed(str(error)) from None
    summary = {
        "patients": len(made.patients),
        "lost_to_follow_up": sum(1 for p in made.patients if p.lost_after is not None),
        "check_ins_answered": made.answered,
        "alerts_resolved": made.alerts_resolved,
        "seed": seed,
    }
    if as_json:
        echo_json(summary)
        return
    click.echo(
        f"{summary['patients']} synthetic patients (seed {seed}): "
        f"{summary['check_ins_answered']} check-ins answered, "
        f"{summary['lost_to_follow_up']} lost to follow-up, "
        f"{summary['alerts_resolved']} alerts resolved"
    )
