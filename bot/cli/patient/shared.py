"""What the patient commands share: the protocols, the emergency number, refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, config_error, settings, with_database
from bot.patients.enrolment.enrol import EnrolmentRefused
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import ProtocolFiles
from bot.settings import ConfigError
from flows import ProtocolInvalid

T = TypeVar("T")


def catalogue() -> ProtocolCatalogue:
    """The protocol files, each parsed only if the command uses it."""
    try:
        return ProtocolCatalogue(ProtocolFiles(settings().protocols_dir))
    except ProtocolInvalid as invalid:
        raise CommandFailed(f"fix the protocol files (or ERAS_PROTOCOLS_DIR):\n{invalid}") from None


def emergency_number() -> str:
    """Patients told of a change are reminded of it: never a guessed one."""
    try:
        return settings().require_emergency_number()
    except ConfigError as error:
        config_error(str(error))


def refused_as_failure(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    try:
        return with_database(work)
    except EnrolmentRefused as error:
        raise CommandFailed(str(error)) from None
