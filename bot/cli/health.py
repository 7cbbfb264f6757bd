"""``eras health``: is the bot doing its job? ``eras doctor``: is anything misconfigured?
For a person, a monitor or a cron job."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import echo_json, settings, with_database
from bot.clock import SystemClock
from bot.reports.doctor.examination import Examination, TelegramSide, examine, examine_schema
from bot.reports.health import health_report
from bot.settings import ConfigError


@click.command()
@click.option("--json", "as_json", is_flag=True)
def health(as_json: bool) -> None:
    """Last dispatcher tick of each bot process, the outbox backlog, the oldest unsent
    message, escalations overdue, messages left uncertain and updates set aside, and what
    the database shows of a misconfiguration (see `eras doctor`); exits 1 when something is
    wrong."""

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


@click.command()
@click.option("--json", "as_json", is_flag=True)
def doctor(as_json: bool) -> None:
    """Look for what would keep alerts from reaching anyone: a team without a group chat, a
    group the bot cannot post in, an escalation step that tells nobody, no emergency number,
    a webhook that does not match the settings, a database not upgraded. Exits 1 when
    something is wrong. Without ERAS_TELEGRAM_TOKEN, Telegram is not asked."""
    config = settings()
    examination = examine_schema(config.database_url)
    if examination.findings:
        examination.not_checked.append("the rest: it needs an upgraded database")
    elif config.telegram_token is None:
        examination = with_database(lambda sessions: _examine(sessions, examination, None))
        examination.not_checked.insert(0, "Telegram: ERAS_TELEGRAM_TOKEN is not set")
    else:
        examination = with_database(lambda sessions: _with_bot(sessions, examination))
    if as_json:
        echo_json(examination.to_json())
    else:
        for finding in examination.findings:
            click.echo(f"- {finding.text}")
        if not examination.findings:
            click.echo("Nothing wrong found.")
        # Questions, not verdicts: the findings above say which of them failed.
        click.echo("Checked whether: " + "; ".join(examination.checked) + ".")
        if examination.not_checked:
            click.echo("Not checked: " + "; ".join(examination.not_checked) + ".")
    if examination.findings:
        raise SystemExit(1)


async def _examine(
    sessions: async_sessionmaker[AsyncSession],
    examination: Examination,
    telegram_side: TelegramSide | None,
) -> Examination:
    return await examine(
        sessions,
        examination,
        emergency_number=settings().emergency_number,
        telegram_side=telegram_side,
    )


async def _with_bot(
    sessions: async_sessionmaker[AsyncSession], examination: Examination
) -> Examination:
    from telegram import Bot

    config = settings()
    try:
        webhook_url: str | None = config.require_webhook()[0]
    except ConfigError:
        webhook_url = None
    bot = Bot(
        config.require_token(),
        base_url=config.bot_api_base_url,
        base_file_url=config.bot_file_base_url,
    )
    return await _examine(sessions, examination, TelegramSide(bot, webhook_url))
