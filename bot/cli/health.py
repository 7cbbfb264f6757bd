"""``eras health``: is the bot doing its job? For a person, a monitor or a cron job."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import echo_json, settings, with_database
from bot.clock import SystemClock
from bot.reports.health import health_report


@click.command()
@click.option("--json", "as_json", is_flag=True)
def health(as_json: bool) -> None:
    """Last dispatcher tick of each bot process, the outbox backlog, the oldest unsent
    message, escalations overdue, messages left uncertain and updates set aside; exits 1
    when something is wrong."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
        return await health_report(
            sessions, SystemClock().now(), emergency_number=settings().emergency_number
        )

    report = with_database(work)
    if as_json:
        echo_json(report)
    else:
        click.echo(f"last dispatcher tick: {report['last_tick_at'] or 'never'}")
        for process in report["processes"]:
            click.echo(f"  {process['owner']} ({process['mode']}): {process['last_tick_at']}")
        click.echo(f"outbox backlog: {report['outbox_backlog']} due and unsent")
        click.echo(f"oldest unsent: {report['oldest_unsent_seconds']} s")
        click.echo(f"escalations overdue: {report['stuck_escalations']}")
        click.echo(f"messages left uncertain, last 24 h: {report['uncertain_last_day']}")
        click.echo(f"updates set aside, last 24 h: {report['set_aside_last_day']}")
        for text in report["misconfigured"]:
            click.echo(f"misconfigured: {text}")
        click.echo("ok" if report["ok"] else "NOT OK: " + "; ".join(report["problems"]))
    if not report["ok"]:
        raise SystemExit(1)
