"""``eras team chain``: a team's escalation chains, shown, replaced or reset per tier."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.chains import ChainRefused, team_chains
from bot.cli.common import CommandFailed, admin_ref, echo_json, with_database
from bot.clock import SystemClock
from flows import Tier
from flows.chains import check_chain, parse_step
from flows.daytime import DAYTIME_ENDS, DAYTIME_STARTS
from flows.escalation import DEFAULT_CHAINS, ChainStep

TIERS = [tier.value for tier in DEFAULT_CHAINS]  # the most urgent first


def _steps(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> list[ChainStep]:
    try:
        steps = [parse_step(value) for value in values]
        if steps:
            check_chain(steps)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None
    return steps


@click.command("chain")
@click.argument("team_name", metavar="TEAM")
@click.option("--tier", type=click.Choice(TIERS), help="The tier to show or change.")
@click.option(
    "--step",
    "steps",
    multiple=True,
    callback=_steps,
    metavar="AFTER:WHO[:daytime][:every=REPEAT]",
    help="A step of the tier's new chain; repeat the option for each step, in order.",
)
@click.option(
    "--reset", is_flag=True, help="Back to the default chain (every tier without --tier)."
)
@click.option("--json", "as_json", is_flag=True)
def chain(
    team_name: str, tier: str | None, steps: list[ChainStep], reset: bool, as_json: bool
) -> None:
    """Show TEAM's escalation chains, or replace (--step …) or reset one tier's chain.

    \b
    Each step tells someone once the alert has gone unacknowledged for AFTER:
      0:team_chat            at once, in the team's chat
      30m:surgeon:every=5m   after 30 min, then every 5 min until acknowledged
      4h:on_call:daytime     after 4 daytime hours (08:00–22:00 in the team's time
                             zone), as in the default amber chain
    WHO is team_chat, on_call or surgeon; durations read like 30s, 15m, 2h or 1d.
    Steps run in the order given. Alerts already open keep the chain they opened with.
    """
    if steps and reset:
        raise click.UsageError("give either --step or --reset, not both")
    if steps and tier is None:
        raise click.UsageError("--step needs --tier (which tier's chain to replace)")
    tiers = [Tier(tier)] if tier else [Tier(t) for t in TIERS]

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        async with sessions.begin() as session:
            return await team_chains(
                session,
                team_name,
                tiers,
                steps=steps,
                reset=reset,
                now=SystemClock().now(),
                actor=admin_ref(),
            )

    try:
        shown = with_database(work)
    except ChainRefused as error:
        raise CommandFailed(str(error)) from None
    if as_json:
        echo_json(shown)
        return
    hours = f"{DAYTIME_STARTS:%H:%M}–{DAYTIME_ENDS:%H:%M}"
    click.echo(f"{shown['team']} ({shown['timezone']}; daytime is {hours} there)")
    for row in shown["chains"]:
        marker = "(default)" if row["default"] else ""
        click.echo(f"  {row['tier']:<14} {marker:<10} {'  '.join(row['text'])}".rstrip())
