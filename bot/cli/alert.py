"""``eras alert``: the alerts raised for care teams, and what became of them."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import echo_json, with_database
from db.models import Alert, AlertStatus, Episode, Patient, Team


@click.group()
def alert() -> None:
    """Alerts for the care teams."""


@alert.command("list")
@click.option("--open", "only_open", is_flag=True, help="Only alerts not yet resolved")
@click.option("--json", "as_json", is_flag=True)
def list_alerts(only_open: bool, as_json: bool) -> None:
    """List alerts, newest first."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        query = (
            select(Alert, Patient.ref, Team.name)
            .join(Episode, Episode.id == Alert.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .join(Team, Team.id == Episode.team_id)
            .order_by(Alert.opened_at.desc(), Alert.id.desc())
        )
        if only_open:
            query = query.where(Alert.status != AlertStatus.RESOLVED)
        async with sessions() as session:
            rows = (await session.execute(query)).all()
        return [
            {
                "id": a.id,
                "patient": ref,
                "team": team,
                "tier": a.tier,
                "status": a.status.value,
                "cause": a.cause,
                "opened_at": a.opened_at.isoformat(),
                "rules": [f["rule"] for f in a.findings],
                "findings": a.findings,
            }
            for a, ref, team in rows
        ]

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
