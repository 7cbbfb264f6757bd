"""Where protocols come from: the files shipped in ``flows/protocols`` and the hospital's own
folder (setting ``protocols_dir``, ``ERAS_PROTOCOLS_DIR``).

This is the file-reading edge of ``flows``: it reads bytes, keeps their sha256 (what a
check-in or alert records as the exact protocol text it was judged by) and hands the text
to ``flows.parse_protocol``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from flows import Protocol, ProtocolInvalid, parse_protocol
from flows.issues import Issue, did_you_mean
from flows.protocols import shipped_file_names


@dataclass(frozen=True)
class LoadedProtocol:
    protocol: Protocol
    source: str  # the file's name (shipped) or path (the hospital's folder)
    sha256: str  # of the file's bytes
    shipped: bool
    text: str  # the file as reviewed, stored with its version in the database


def parse_protocol_bytes(data: bytes, source: str, *, shipped: bool = False) -> LoadedProtocol:
    """Parse a protocol file's bytes; raises ProtocolInvalid (also for text that is not UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProtocolInvalid([Issue(source, line, "not UTF-8 text")]) from None
    protocol = _parsed(text, source)
    return LoadedProtocol(protocol, source, hashlib.sha256(data).hexdigest(), shipped, text)


@lru_cache(maxsize=32)
def _parsed(text: str, source: str) -> Protocol:
    """The same text parses to the same (frozen) protocol: a process that loads the files
    again (a second runtime, a command run in-process) does not parse them again. An
    invalid file raises each time (exceptions are not kept)."""
    return parse_protocol(text, source)


def read_protocol_file(path: Path) -> LoadedProtocol:
    return parse_protocol_bytes(path.read_bytes(), str(path))


def _shipped_files() -> list[tuple[str, bytes]]:
    folder = resources.files("flows.protocols")
    return [(name, folder.joinpath(name).read_bytes()) for name in shipped_file_names()]


def protocol_files(folder: Path) -> list[Path]:
    """The protocol files of a folder, in name order."""
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])


def load_protocols(protocols_dir: Path | None) -> dict[str, LoadedProtocol]:
    """Every protocol by id: the shipped ones, then the folder's. Raises ProtocolInvalid with
    every problem of every file, including two files claiming one id."""
    files = [(name, data, True) for name, data in _shipped_files()]
    if protocols_dir is not None:
        files += [(str(path), path.read_bytes(), False) for path in protocol_files(protocols_dir)]
    loaded: dict[str, LoadedProtocol] = {}
    issues: list[Issue] = []
    for source, data, shipped in files:
        try:
            found = parse_protocol_bytes(data, source, shipped=shipped)
        except ProtocolInvalid as exc:
            issues.extend(exc.issues)
            continue
        first = loaded.setdefault(found.protocol.id, found)
        if first is not found:
            message = (
                f"protocol id {found.protocol.id!r} is already used by {first.source}; "
                "give this protocol its own id"
            )
            issues.append(Issue(source, _id_line(data), message))
    if issues:
        raise ProtocolInvalid(issues)
    return loaded


_ID = re.compile(rb"""^id:[ \t]*["']?([A-Za-z0-9._-]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)


class ProtocolFiles(Mapping[str, LoadedProtocol]):
    """The protocols by id, each file parsed only when it is asked for: a command that
    enrols on one pathway does not pay for the others. Ids come from each file's top-level
    ``id:`` line; a file whose id can't be read that way, or two files with one id, are
    left to ``load_protocols``, which parses everything and names every problem."""

    def __init__(self, protocols_dir: Path | None) -> None:
        files = [(name, data, True) for name, data in _shipped_files()]
        if protocols_dir is not None:
            files += [(str(p), p.read_bytes(), False) for p in protocol_files(protocols_dir)]
        self._files: dict[str, tuple[str, bytes, bool]] = {}
        self._loaded: dict[str, LoadedProtocol] = {}
        for source, data, shipped in files:
            ids = _ID.findall(data)
            if len(ids) != 1 or ids[0].decode() in self._files:
                self._loaded = load_protocols(protocols_dir)  # raises ProtocolInvalid
                self._files = {}
                return
            self._files[ids[0].decode()] = (source, data, shipped)

    def __getitem__(self, protocol_id: str) -> LoadedProtocol:
        if protocol_id not in self._loaded:
            source, data, shipped = self._files[protocol_id]  # KeyError: unknown
            loaded = parse_protocol_bytes(data, source, shipped=shipped)  # ProtocolInvalid
            if loaded.protocol.id != protocol_id:  # an id line the pattern misread
                raise ProtocolInvalid([Issue(source, _id_line(data), "its id line is unclear")])
            self._loaded[protocol_id] = loaded
        return self._loaded[protocol_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded or self._files)

    def __len__(self) -> int:
        return len(self._loaded or self._files)

    def __contains__(self, protocol_id: object) -> bool:
        return protocol_id in self._loaded or protocol_id in self._files


def _id_line(data: bytes) -> int:
    match = re.search(rb"^id:", data, re.MULTILINE)
    return data[: match.start()].count(b"\n") + 1 if match else 1


class UnknownProtocol(LookupError):
    """No protocol has the id asked for; the message names the known ones."""


def find_protocol(protocols: Mapping[str, LoadedProtocol], protocol_id: str) -> LoadedProtocol:
    if protocol_id not in protocols:
        raise UnknownProtocol(
            f"unknown protocol {protocol_id!r}{did_you_mean(protocol_id, protocols)} "
            f"(known: {', '.join(sorted(protocols))})"
        )
    return protocols[protocol_id]
