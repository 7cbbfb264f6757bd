"""Protocols as the bot uses them: files for new enrolments, stored versions for the rest.

An enrolled patient stays on the version they were enrolled with, so a check-in is always
judged by the text stored in the database for its version, never by today's file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.protocols.sources import LoadedProtocol, UnknownProtocol, find_protocol
from db.models import ProtocolVersion
from db.protocol_store import find, register
from flows import Protocol, parse_protocol


async def store(
    session: AsyncSession, loaded: LoadedProtocol, now: datetime
) -> tuple[ProtocolVersion, bool]:
    """Keep a protocol file as a version in the database; returns (version, newly added)."""
    return await register(
        session,
        protocol_id=loaded.protocol.id,
        version=loaded.protocol.version,
        content_hash=loaded.sha256,
        source_name=Path(loaded.source).name,
        content=loaded.text,
        now=now,
    )


class ProtocolCatalogue:
    def __init__(self, files: Mapping[str, LoadedProtocol]) -> None:
        self.files = files
        self._parsed: dict[int, Protocol] = {}

    async def current(
        self, session: AsyncSession, protocol_id: str, now: datetime
    ) -> tuple[ProtocolVersion, Protocol]:
        """The version of today's file, stored if it is new (raises UnknownProtocol)."""
        loaded = find_protocol(self.files, protocol_id)
        row, _added = await store(session, loaded, now)
        self._parsed[row.id] = loaded.protocol
        return row, loaded.protocol

    async def resolve(
        self, session: AsyncSession, spec: str, now: datetime
    ) -> tuple[ProtocolVersion, Protocol]:
        """``ID`` (the most recently loaded version) or ``ID@VERSION``.

        Today's file for ``ID``, if there is one, is stored first, so a changed file is
        picked up as a new version without a separate load.
        """
        protocol_id, _, version = spec.partition("@")
        if protocol_id in self.files:
            await self.current(session, protocol_id, now)
        row = await find(session, protocol_id, version or None)
        if row is None:
            if version and protocol_id in self.files:
                raise UnknownProtocol(f"protocol {protocol_id!r} has no version {version!r}")
            find_protocol(self.files, protocol_id)  # raises, naming the known ones
            raise UnknownProtocol(f"unknown protocol {spec!r}")
        return row, self.of(row)

    async def of_id(self, session: AsyncSession, version_id: int) -> Protocol:
        """The protocol of a stored version by its id; the file is read once per process.
        (Selecting the version along with many rows would fetch its large text for each.)"""
        protocol = self._parsed.get(version_id)
        if protocol is None:
            protocol = self.of(await session.get_one(ProtocolVersion, version_id))
        return protocol

    def of(self, version: ProtocolVersion) -> Protocol:
        """The protocol as stored for ``version``, parsed once per process."""
        protocol = self._parsed.get(version.id)
        if protocol is None:
            # The same bytes as a file already loaded: that file's protocol, not parsed again
            # (a protocol file takes a second or so to parse, per version, per process).
            same = (f for f in self.files.values() if f.sha256 == version.content_hash)
            loaded = next(same, None)
            if loaded is not None:
                protocol = loaded.protocol
            else:
                protocol = parse_protocol(version.content, version.source_name)
            self._parsed[version.id] = protocol
        return protocol
