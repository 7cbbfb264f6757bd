"""``eras alert``: the alerts raised for care teams, and what became of them."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, with_database
from bot.clock import SystemClock
from db.audit import append
from db.models import Alert, AlertEvent, AlertStatus, Episode, Patient, Team


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


@alert.command("show")
@click.argument("alert_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def show_alert(alert_id: int, as_json: bool) -> None:
    """One alert: its findings, outcome and timeline (the view is audited)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any] | None:
        async with sessions.begin() as session:
            row = (
                await session.execute(
                    select(Alert, Patient.ref, Team.name)
                    .join(Episode, Episode.id == Alert.episode_id)
                    .join(Patient, Patient.id == Episode.patient_id)
                    .join(Team, Team.id == Episode.team_id)
                    .where(Alert.id == alert_id)
                )
            ).first()
            if row is None:
                return None
            found, ref, team = row
            events = await session.scalars(
                select(AlertEvent).where(AlertEvent.alert_id == alert_id).order_by(AlertEvent.id)
            )
            await append(
                session,
                at=SystemClock().now(),
                actor_kind="cli",
                actor_ref=admin_ref(),
                action="alert.view",
                origin="cli",
                patient_ref=ref,
                detail={"alert": alert_id},
            )
            return {
                "id": found.id,
                "patient": ref,
                "team": team,
                "tier": found.tier,
                "status": found.status.value,
                "cause": found.cause,
                "opened_at": found.opened_at.isoformat(),
                "findings": found.findings,
                "outcome": found.outcome,
                "clavien_dindo": found.clavien_dindo,
                "timeline": [
                    {"at": e.at.isoformat(), "event": e.kind, "staff": e.staff_id, **e.detail}
                    for e in events
                ],
            }

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
