"""The ``eras`` command line: one program with a group of subcommands per concern.

Errors go to stderr with a non-zero exit; output that scripts read is JSON with ``--json``.
Exit codes: 0 success, 1 the command failed (invalid input, not found), 2 configuration error.
"""

from __future__ import annotations

import click

from bot.cli.alert import alert
from bot.cli.audit import audit
from bot.cli.common import run_cli
from bot.cli.db import db
from bot.cli.demo import demo
from bot.cli.export import export
from bot.cli.health import doctor, health
from bot.cli.patient import enroll, patient
from bot.cli.protocol import protocol
from bot.cli.report import report
from bot.cli.run import run
from bot.cli.staff import staff
from bot.cli.synth import synth
from bot.cli.team import team
from bot.cli.web import web
from bot.sandbox.serving.standalone import sandbox


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="eras-spine-bot")
def cli() -> None:
    """ERAS follow-up bot for spine surgery: protocols, teams, enrolment and the bot itself."""


cli.add_command(alert)
cli.add_command(audit)
cli.add_command(db)
cli.add_command(demo)
cli.add_command(doctor)
cli.add_command(health)
cli.add_command(enroll)
cli.add_command(export)
cli.add_command(patient)
cli.add_command(protocol)
cli.add_command(report)
cli.add_command(run)
cli.add_command(sandbox)
cli.add_command(staff)
cli.add_command(synth)
cli.add_command(team)
cli.add_command(web)


def main() -> None:
    run_cli(cli)
