"""``eras alert``: the alerts raised for care teams, and what became of them."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts import overview
from bot.cli.common import CommandFailed, admin_ref, echo_json, with_database
from bot.clock import SystemClock


@click.group()
def alert() -> None:
    """Alerts for the care teams."""


@alert.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only alerts not yet resolved")
@click.option("--json", "as_json", is_flag=True)
def list_alerts(only_open: bool, as_json: bool) -> None:
    """List alerts, newest first."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions() as session:
            return await overview.alerts(session, only_open=only_open)

    alerts = with_database(work)
    if as_json:
        echo_json(alerts)
        return
    if not alerts:
        click.echo("no alerts")
    for a in alerts:
        click.echo(
            f"#{a['id']:<5} {a['tier']:<13} {a['status']:<12} {a['patient']:<12} "
            f"{a['opened_at'][:16]}  {', '.join(a['rules'])}"
        )


@alert.command("show")
@click.argument("alert_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def show_alert(alert_id: int, as_json: bool) -> None:
    """One alert: its findings, outcome and timeline (the view is audited)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any] | None:
        async with sessions.begin() as session:
            return await overview.alert(
                session, alert_id, now=SystemClock().now(), actor=admin_ref()
            )

    shown = with_database(work)
    if shown is None:
        raise CommandFailed(f"no alert #{alert_id}")
    if as_json:
        echo_json(shown)
        return
    click.echo(f"alert #{shown['id']}: {shown['tier']}, {shown['status']} ({shown['cause']})")
    click.echo(f"  patient {shown['patient']}, team {shown['team']}, opened {shown['opened_at']}")
    for finding in shown["findings"]:
        click.echo(f"  • {finding['rule']}: {finding['reason'].get('en', '')}")
    if shown["outcome"]:
        grade = f", Clavien–Dindo {shown['clavien_dindo']}" if shown["clavien_dindo"] else ""
        click.echo(f"  outcome: {shown['outcome']}{grade}")
    for event in shown["timeline"]:
        click.echo(f"  {event['at'][:16]}  {event['event']}")
