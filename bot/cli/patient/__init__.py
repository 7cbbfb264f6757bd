"""``eras enroll`` and ``eras patient``: enrolment, and what admins do with a follow-up."""

from __future__ import annotations

import click

from bot.cli.patient.caregivers import caregiver
from bot.cli.patient.correction import update_command
from bot.cli.patient.course import pause_command, resume_command, withdraw_command
from bot.cli.patient.enrolment import enroll, link_command
from bot.cli.patient.protocol import set_protocol_command
from bot.cli.patient.records import erase_command, list_patients, purge_command, show_patient

__all__ = ["enroll", "patient"]


@click.group()
def patient() -> None:
    """Enrolled patients: list, show, reissue a link, add a caregiver, change protocol,
    erase."""


for command in (
    list_patients,
    show_patient,
    link_command,
    caregiver,
    pause_command,
    resume_command,
    withdraw_command,
    update_command,
    set_protocol_command,
    erase_command,
    purge_command,
):
    patient.add_command(command)
