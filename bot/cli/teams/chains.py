"""``eras team chain``: a team's escalation chains, shown, replaced or reset per tier."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts.chains import ChainRefused, replace_chain, reset_chain, stored_chain
from bot.cli.common import CommandFailed, admin_ref, echo_json, with_database
from bot.clock import SystemClock
from db.audit import append
from db.models import Team
from flows import Tier
from flows.chains import check_chain, format_step, parse_step
from flows.daytime import DAYTIME_ENDS, DAYTIME_STARTS
from flows.escalation import DEFAULT_CHAINS, Step

TIERS = [tier.value for tier in DEFAULT_CHAINS]  # the most urgent first


def _steps(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[Step]:
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
def chain(team_name: str, tier: str | None, steps: list[Step], reset: bool, as_json: bool) -> None:
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
        now = SystemClock().now()
        async with sessions.begin() as session:
            team = await session.scalar(select(Team).where(Team.name == team_name))
            if team is None:
                raise CommandFailed(f"no team named {team_name!r} (see `eras team list`)")
            if steps or reset:
                action, detail = await _change(session, team, tiers, steps)
                await append(
                    session,
                    at=now,
                    actor_kind="cli",
                    actor_ref=admin_ref(),
                    action=action,
                    origin="cli",
                    detail={"team": team.name, "tiers": [t.value for t in tiers], **detail},
                )
            return await _chains(session, team, tiers)

    shown = with_database(work)
    if as_json:
        echo_json(shown)
        return
    hours = f"{DAYTIME_STARTS:%H:%M}–{DAYTIME_ENDS:%H:%M}"
    click.echo(f"{shown['team']} ({shown['timezone']}; daytime is {hours} there)")
    for row in shown["chains"]:
        marker = "(default)" if row["default"] else ""
        click.echo(f"  {row['tier']:<14} {marker:<10} {'  '.join(row['text'])}".rstrip())


async def _change(
    session: AsyncSession, team: Team, tiers: list[Tier], steps: list[Step]
) -> tuple[str, dict[str, Any]]:
    """Replace the tier's chain with ``steps``, or reset ``tiers`` when there are none."""
    if steps:
        try:
            await replace_chain(session, team.id, tiers[0], steps)
        except ChainRefused as error:
            raise CommandFailed(str(error)) from None
        return "team.chain", {"steps": [format_step(step) for step in steps]}
    for tier in tiers:
        await reset_chain(session, team.id, tier)
    return "team.chain_reset", {}


async def _chains(session: AsyncSession, team: Team, tiers: list[Tier]) -> dict[str, Any]:
    rows = []
    for tier in tiers:
        own = await stored_chain(session, team.id, tier)
        steps = own or DEFAULT_CHAINS[tier]
        rows.append(
            {
                "tier": tier.value,
                "default": not own,
                "steps": [step.to_json() for step in steps],
                "text": [format_step(step) for step in steps],
            }
        )
    return {"team": team.name, "timezone": team.timezone, "chains": rows}
