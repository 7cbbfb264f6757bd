"""``eras patient set-protocol``: one patient, or a whole pathway, to another version."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, with_database
from bot.cli.patient.shared import catalogue
from bot.clock import SystemClock
from bot.patients.course.pathway_move import PathwayMove, move_pathway, plan_pathway_move
from bot.patients.course.protocol_change import ProtocolChanged, set_protocol
from bot.patients.enrolment.enrol import EnrolmentRefused
from bot.protocols.sources import UnknownProtocol
from flows import ProtocolInvalid


@click.command("set-protocol")
@click.argument("ref", required=False)
@click.argument("spec", metavar="[ID[@VERSION]]", required=False)
@click.option("--pathway", help="Move every patient followed on this pathway (ID)")
@click.option("--to", "version", metavar="VERSION", help="With --pathway: default its newest")
@click.option("--yes", is_flag=True, help="With --pathway: do not ask for confirmation")
@click.option("--json", "as_json", is_flag=True, help="With --pathway and --yes")
def set_protocol_command(
    ref: str | None,
    spec: str | None,
    pathway: str | None,
    version: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Move patient REF to another protocol (version) from the next check-in on; or, with
    --pathway, every patient followed on that pathway to one version of it (a safety fix).

    \b
      eras patient set-protocol P-014 spine-miss-fusion
      eras patient set-protocol --pathway spine-miss-lumbar --to 2

    The whole-pathway move shows what changes (as `eras protocol diff`) and for whom, then
    asks before it moves anyone. Each patient's move is audited.
    """
    if pathway is None:
        if ref is None or spec is None or version is not None or yes or as_json:
            raise click.UsageError(
                "give REF ID[@VERSION], or --pathway ID [--to VERSION] [--yes] [--json]"
            )
        _move_one(ref, spec)
    elif ref is not None or spec is not None:
        raise click.UsageError("--pathway moves everyone on it: give no REF")
    elif as_json and not yes:
        raise click.UsageError("--json needs --yes (there is no one to ask)")
    else:
        _move_pathway(pathway, version, yes=yes, as_json=as_json)


def _move_one(ref: str, spec: str) -> None:
    protocols = catalogue()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as session:
            return await set_protocol(
                session, protocols, ref=ref, spec=spec, now=SystemClock().now(), actor=admin_ref()
            )

    try:
        changed = with_database(work)
    except (EnrolmentRefused, UnknownProtocol, ProtocolInvalid) as error:
        raise CommandFailed(str(error)) from None
    click.echo(
        f"{changed.ref}: {changed.before} → {changed.after}; "
        f"{changed.replanned} check-ins planned by the new version"
    )


def _move_pathway(pathway: str, version: str | None, *, yes: bool, as_json: bool) -> None:
    protocols = catalogue()

    async def planning(sessions: async_sessionmaker[AsyncSession]) -> PathwayMove:
        async with sessions.begin() as session:  # resolving stores today's file, if new
            return await plan_pathway_move(
                session, protocols, pathway=pathway, version=version, now=SystemClock().now()
            )

    try:
        plan = with_database(planning)
    except (EnrolmentRefused, UnknownProtocol, ProtocolInvalid) as error:
        raise CommandFailed(str(error)) from None
    if not as_json:
        _show_plan(plan)
    if not plan.patients:
        if as_json:
            echo_json({"pathway": plan.pathway, "to": plan.to, "moved": []})
        return
    if not yes:
        click.confirm(f"Move these {len(plan.patients)} patients to {plan.to}?", abort=True)

    async def moving(sessions: async_sessionmaker[AsyncSession]) -> list[ProtocolChanged]:
        async with sessions.begin() as session:
            return await move_pathway(
                session, protocols, plan, now=SystemClock().now(), actor=admin_ref()
            )

    moved = with_database(moving)
    if as_json:
        echo_json(
            {
                "pathway": plan.pathway,
                "to": plan.to,
                "changes": plan.changes,
                "moved": [
                    {"ref": m.ref, "from": m.before, "to": m.after, "planned": m.replanned}
                    for m in moved
                ],
            }
        )
        return
    click.echo(f"{len(moved)} patients moved to {plan.to}")
    if len(moved) < len(plan.patients):
        click.echo(f"{len(plan.patients) - len(moved)} had moved or ended meanwhile: left alone")


def _show_plan(plan: PathwayMove) -> None:
    if not plan.patients:
        click.echo(f"nobody followed on {plan.pathway} is on another version than {plan.to}")
        return
    for before, changes in plan.changes.items():
        click.echo(f"What changes from {before} to {plan.to}:")
        for change in changes or ["no changes"]:
            click.echo(f"  {change}")
    changed = [p for p in plan.patients if p.next_before != p.next_after]
    click.echo(
        f"{len(plan.patients)} patients move to {plan.to}; "
        f"next check-in changes for {len(changed)}:"
    )
    for p in plan.patients:
        before, after = str(p.next_before or "none"), str(p.next_after or "none")
        next_one = f"{before} → {after}" if before != after else f"{before} (unchanged)"
        click.echo(
            f"  {p.ref:<12} {p.before:<22} {p.procedure or 'procedure not recorded':<28} "
            f"next {next_one}; {p.ahead_before} → {p.ahead_after} check-ins ahead"
        )
