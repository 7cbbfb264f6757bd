"""``eras doctor``: is anything misconfigured? Each finding says which team and what to do."""

from __future__ import annotations

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import echo_json, settings, with_database
from bot.reports.doctor.examination import Examination, TelegramSide, examine, examine_schema
from bot.settings import ConfigError


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
        click.echo("Checked: " + "; ".join(examination.checked) + ".")
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
