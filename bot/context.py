"""What every use case is given: the database, the protocols, the site, the clock, and a way to
wake the sender once its messages are committed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.checkins.conversation import Site
from bot.clock import Clock
from bot.protocols.catalogue import ProtocolCatalogue


@dataclass
class Services:
    sessions: async_sessionmaker[AsyncSession]
    catalogue: ProtocolCatalogue
    site: Site
    clock: Clock
    wake_sender: Callable[[], None]
