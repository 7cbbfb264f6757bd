"""``eras db``: bring the database schema up to date, back, or say where it stands."""

from __future__ import annotations

import click

from bot.cli.common import settings


@click.group()
def db() -> None:
    """Database schema migrations (Alembic)."""


@db.command()
@click.argument("revision", default="head")
def upgrade(revision: str) -> None:
    """Migrate the database up to REVISION (default: the newest)."""
    from migrations.runner import upgrade as do_upgrade

    do_upgrade(settings().database_url, revision)
    click.echo(f"database at {revision}")


@db.command()
@click.argument("revision", default="-1")
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION (default: one step back)."""
    from migrations.runner import downgrade as do_downgrade

    do_downgrade(settings().database_url, revision)
    click.echo(f"database downgraded to {revision}")


@db.command()
def current() -> None:
    """Print the database's current revision."""
    from migrations.runner import current_revision

    click.echo(current_revision(settings().database_url) or "(empty database)")
