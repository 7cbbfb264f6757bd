"""Enrolling a list of patients at once, from a table with one patient a row (a CSV file).

Every row is checked first, and every problem of every row is reported with its line
before anything is written: a list is enrolled whole or not at all, so that a ward never
has to work out which half of it went in. Each patient is then enrolled with the checks,
rows and audit entry ``enrol`` gives one, all in the caller's transaction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.access import tokens
from bot.patients.enrolment.enrol import (
    OPEN_EPISODES,
    Enrolment,
    EnrolmentRefused,
    check_dates,
    materialise,
    ref_problem,
)
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import UnknownProtocol
from bot.time_zones import is_time_zone, suggest_time_zone
from db.audit import append_many
from db.models import Episode, EpisodeStatus, Patient, ProtocolVersion, Team, TokenPurpose
from flows import Protocol, ProtocolInvalid

REQUIRED = ("ref", "surgery_date", "protocol", "team", "tz", "lang")
OPTIONAL = ("discharge_date", "procedure", "name")
MAX_ROWS = 20_000  # a ward's list, not a hospital's history: a bigger file is a mistake


@dataclass(frozen=True)
class Row:
    line: int  # in the file, the header being line 1
    ref: str
    surgery_date: date | None  # None: not a date (a problem of the list says so)
    protocol: str
    team: str
    time_zone: str
    language: str
    discharge_date: date | None
    procedure: str | None
    name: str | None


@dataclass(frozen=True)
class Enrolled:
    row: Row
    surgery_date: date
    enrolment: Enrolment
    protocol: Protocol  # the version enrolled on, for the patient's sheet


class ListRefused(Exception):
    """The list cannot be enrolled; ``problems`` are "SOURCE:LINE: reason", in line order."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


class Problems:
    """What is wrong with a list so far, by line."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[int, str]] = []

    def add(self, line: int, reason: str) -> None:
        self.found.append((line, reason))

    def raise_if_any(self) -> None:
        if self.found:
            ordered = sorted(self.found, key=lambda found: found[0])
            raise ListRefused([f"{self.source}:{line}: {reason}" for line, reason in ordered])


@dataclass(frozen=True)
class Listing:
    rows: list[Row]
    problems: Problems  # found in the file; the database is asked about the rest


def read_list(text: str, source: str, *, today: date, confirmed: bool) -> Listing:
    """The rows of a CSV text, each field checked on its own (the database is not asked
    yet). Raises ListRefused only when the rows can't be read (the header); every other
    problem is kept for ``enrol_list`` to report with the database's. ``confirmed``: take
    surgery dates outside the usual window."""
    problems = Problems(source)
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), skipinitialspace=True)
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
    if missing or unknown:
        problems.add(1, _header_problem(missing, unknown))
        problems.raise_if_any()
    reader.fieldnames = header
    rows: list[Row] = []
    first_line: dict[str, int] = {}
    for record in reader:
        line = reader.line_num
        if len(rows) >= MAX_ROWS:
            problems.add(line, f"more than {MAX_ROWS:,} patients: split the list")
            break
        values = {k: (v or "").strip() for k, v in record.items() if isinstance(k, str)}
        if None in record:
            problems.add(line, "more fields than the header names")
        if not any(values.values()):
            continue  # an empty line, as spreadsheets leave at the end
        row = _row(line, values, problems, today=today, confirmed=confirmed)
        if row.ref in first_line:
            problems.add(line, f"reference {row.ref} is also on line {first_line[row.ref]}")
        first_line.setdefault(row.ref, line)
        rows.append(row)
    if not rows and not problems.found:
        problems.add(1, "no patients in the list")
    return Listing(rows, problems)


def _header_problem(missing: list[str], unknown: list[str]) -> str:
    parts = []
    if missing:
        parts.append(f"the header lacks {', '.join(missing)}")
    if unknown:
        parts.append(f"unknown columns {', '.join(unknown)}")
    known = ", ".join(REQUIRED) + " and optionally " + ", ".join(OPTIONAL)
    return f"{'; '.join(parts)} (the columns are {known})"


def _row(
    line: int, values: dict[str, str], problems: Problems, *, today: date, confirmed: bool
) -> Row:
    for name in REQUIRED:
        if not values.get(name):
            problems.add(line, f"{name} is empty")
    ref = values.get("ref", "")
    problem = ref_problem(ref) if ref else None  # an empty one was reported just above
    if problem is not None:
        problems.add(line, problem)
    surgery = _date(line, "surgery_date", values.get("surgery_date", ""), problems)
    discharge = _date(line, "discharge_date", values.get("discharge_date", ""), problems)
    zone = values.get("tz", "")
    if zone and not is_time_zone(zone):
        meant = suggest_time_zone(zone)
        hint = f"did you mean {meant}?" if meant else "use an IANA name such as Europe/Madrid"
        problems.add(line, f"unknown time zone {zone!r}: {hint}")
    if surgery is not None:
        try:
            check_dates(surgery, discharge, today=today, confirmed=confirmed)
        except EnrolmentRefused as refused:
            problems.add(line, str(refused))
    return Row(
        line=line,
        ref=ref,
        surgery_date=surgery,
        protocol=values.get("protocol", ""),
        team=values.get("team", ""),
        time_zone=zone,
        language=values.get("lang", ""),
        discharge_date=discharge,
        procedure=values.get("procedure") or None,
        name=values.get("name") or None,
    )


def _date(line: int, name: str, value: str, problems: Problems) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.add(line, f"{name} {value!r} is not a date (YYYY-MM-DD)")
        return None


class _ResolvedOnce(ProtocolCatalogue):
    """The catalogue for one list: each protocol named in it is looked up (and its file
    stored, if new) once, not once a patient."""

    def __init__(self, catalogue: ProtocolCatalogue) -> None:
        super().__init__(catalogue.files)
        self._parsed = catalogue._parsed
        self._resolved: dict[str, tuple[ProtocolVersion, Protocol]] = {}

    async def resolve(
        self, session: AsyncSession, spec: str, now: datetime
    ) -> tuple[ProtocolVersion, Protocol]:
        if spec not in self._resolved:
            self._resolved[spec] = await super().resolve(session, spec, now)
        return self._resolved[spec]


async def enrol_list(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    listing: Listing,
    *,
    now: datetime,
    actor: str,
    progress: Callable[[int], None] = lambda _done: None,
) -> list[Enrolled]:
    """Check every row against the database (teams, protocols and their languages,
    patients already followed), raising ListRefused with every problem; then enrol them
    all. The caller's transaction is rolled back on any refusal: nothing is written."""
    once = _ResolvedOnce(catalogue)
    problems = listing.problems
    await _check_against_database(session, once, listing.rows, problems, now)
    problems.raise_if_any()
    return await _enrol_all(session, once, listing.rows, now=now, actor=actor, progress=progress)


async def _enrol_all(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    rows: list[Row],
    *,
    now: datetime,
    actor: str,
    progress: Callable[[int], None],
) -> list[Enrolled]:
    """What ``enrol`` writes for one patient, for all the list's at once: the same rows and
    audit entries, in a few round trips to the database instead of a dozen a patient (the
    rows were checked against it just before, in this transaction)."""
    teams = {team.name: team for team in await session.scalars(select(Team))}
    known = {p.ref: p for p in await _patients(session, [row.ref for row in rows])}
    patients = []
    for row in rows:
        patient = known.get(row.ref)  # a patient whose earlier follow-up ended
        if patient is None:
            patient = Patient(ref=row.ref, created_at=now)
            session.add(patient)
        patient.language, patient.timezone = row.language, row.time_zone
        if row.name is not None:
            patient.display_name = row.name
        patients.append(patient)
    await session.flush()
    versions = [await catalogue.resolve(session, row.protocol, now) for row in rows]
    episodes = []
    for row, patient, (version, _protocol) in zip(rows, patients, versions, strict=True):
        assert row.surgery_date is not None  # else a problem was reported
        episodes.append(
            Episode(
                patient_id=patient.id,
                team_id=teams[row.team].id,
                protocol_version_id=version.id,
                procedure=(row.procedure or "").strip()[:200] or None,  # as ``enrol``
                surgery_date=row.surgery_date,
                discharge_date=row.discharge_date,
                status=EpisodeStatus.INVITED,
                created_at=now,
                updated_at=now,
            )
        )
    session.add_all(episodes)
    await session.flush()
    done, audited = [], []
    for row, episode, (version, protocol) in zip(rows, episodes, versions, strict=True):
        planned = materialise(session, episode, version.id, protocol, row.time_zone, now)
        token = await tokens.issue(session, TokenPurpose.PATIENT, now, episode_id=episode.id)
        enrolment = Enrolment(
            ref=row.ref,
            team=row.team,
            protocol_id=protocol.id,
            protocol_version=version.version,
            episode_id=episode.id,
            token=token,
            token_expires_at=now + tokens.DEFAULT_LIFETIME,
            check_ins=planned,
        )
        done.append(Enrolled(row, episode.surgery_date, enrolment, protocol))
        audited.append(
            {
                "at": now,
                "actor_kind": "cli",
                "actor_ref": actor,
                "action": "patient.enrol",
                "origin": "cli",
                "patient_ref": row.ref,
                "detail": {"protocol": f"{protocol.id}@{version.version}", "team": row.team},
            }
        )
        progress(1)
    await append_many(session, audited)
    return done


async def _patients(session: AsyncSession, refs: list[str]) -> list[Patient]:
    found: list[Patient] = []
    for start in range(0, len(refs), 500):  # bounded IN lists
        chunk = refs[start : start + 500]
        found += await session.scalars(select(Patient).where(Patient.ref.in_(chunk)))
    return found


async def _check_against_database(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    rows: list[Row],
    problems: Problems,
    now: datetime,
) -> None:
    teams = set(await session.scalars(select(Team.name)))
    protocols: dict[str, Protocol | str] = {}  # spec → protocol, or why it is unknown
    for spec in {row.protocol for row in rows if row.protocol}:
        try:
            protocols[spec] = (await catalogue.resolve(session, spec, now))[1]
        except (UnknownProtocol, ProtocolInvalid) as unknown:  # an invalid file: named
            protocols[spec] = str(unknown)
    followed = await _already_followed(session, [row.ref for row in rows if row.ref])
    for row in rows:  # an empty field was reported already
        if row.team and row.team not in teams:
            problems.add(row.line, f"no team named {row.team!r} (see `eras team list`)")
        protocol = protocols.get(row.protocol)
        if isinstance(protocol, str):
            problems.add(row.line, protocol)
        elif protocol is not None and row.language and row.language not in protocol.languages:
            spoken = ", ".join(protocol.languages)
            problems.add(
                row.line, f"protocol {protocol.id!r} speaks {spoken}, not {row.language!r}"
            )
        if row.ref in followed:
            problems.add(row.line, f"patient {row.ref} {followed[row.ref]}")


async def _already_followed(session: AsyncSession, refs: list[str]) -> dict[str, str]:
    """The references that cannot be enrolled again, and why."""
    found: dict[str, str] = {}
    for start in range(0, len(refs), 500):  # bounded IN lists
        chunk = refs[start : start + 500]
        erased = await session.scalars(
            select(Patient.ref).where(Patient.ref.in_(chunk), Patient.erased_at.is_not(None))
        )
        for ref in erased:
            found[ref] = "was erased: enrol them under a new reference"
        open_ones = await session.scalars(
            select(Patient.ref)
            .join(Episode, Episode.patient_id == Patient.id)
            .where(Patient.ref.in_(chunk), Episode.status.in_(OPEN_EPISODES))
        )
        for ref in open_ones:
            found[ref] = "already has a follow-up in progress"
    return found
