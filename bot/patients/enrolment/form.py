"""Enrolment as the console's form asks it: each field checked with the command line's
rules, every problem named beside its field, then ``enrol`` (its rows and audit entry),
for one of the staff member's own teams only. A refused form writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.patients.enrolment.enrol import (
    Enrolment,
    EnrolmentRefused,
    check_dates,
    enrol,
    ref_problem,
)
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import UnknownProtocol
from bot.time_zones import is_time_zone, suggest_time_zone
from db.models import Team
from flows import Protocol, ProtocolInvalid

NAME_LIMIT = 200  # as the procedure's: a name, not a letter


@dataclass(frozen=True)
class TeamChoice:
    id: int
    name: str
    time_zone: str


@dataclass(frozen=True)
class ProtocolChoice:
    id: str
    title: str
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Choices:
    teams: list[TeamChoice]
    protocols: list[ProtocolChoice]


@dataclass(frozen=True)
class FormEnrolled:
    enrolment: Enrolment
    protocol: Protocol
    language: str
    time_zone: str
    surgery_date: date
    discharge_date: date | None
    procedure: str | None


class FormRefused(Exception):
    """``problems``: field name → what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


async def choices(
    session: AsyncSession, catalogue: ProtocolCatalogue, team_ids: frozenset[int]
) -> Choices:
    """The teams a staff member may enrol into (their own) and the protocols on file."""
    teams = await session.scalars(select(Team).where(Team.id.in_(team_ids)).order_by(Team.name))
    protocols = [
        ProtocolChoice(pid, loaded.protocol.title, tuple(loaded.protocol.languages))
        for pid, loaded in sorted(catalogue.files.items())
    ]
    return Choices([TeamChoice(t.id, t.name, t.timezone) for t in teams], protocols)


async def enrol_from_form(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    values: Mapping[str, str],
    *,
    staff_id: int,
    team_ids: frozenset[int],
    now: datetime,
) -> FormEnrolled:
    """Raises FormRefused with every problem the fields show, then the one the database
    shows (a reference already followed, a protocol unknown or not in that language)."""
    problems: dict[str, str] = {}
    ref = values.get("ref", "")
    if (problem := ref_problem(ref)) is not None:
        problems["ref"] = problem
    name = values.get("name", "")
    if len(name) > NAME_LIMIT:
        problems["name"] = f"a name is at most {NAME_LIMIT} characters"
    team = await _own_team(session, values.get("team", ""), team_ids)
    if team is None:
        problems["team"] = "choose one of your teams"
    if not values.get("protocol"):
        problems["protocol"] = "choose a protocol"
    surgery = _date(values, "surgery_date", problems, required=True)
    discharge = _date(values, "discharge_date", problems, required=False)
    zone = values.get("time_zone", "")
    if zone and not is_time_zone(zone):
        meant = suggest_time_zone(zone)
        hint = f"did you mean {meant}?" if meant else "use an IANA name such as Europe/Madrid"
        problems["time_zone"] = f"unknown time zone {zone!r}: {hint}"
    confirmed = values.get("confirm_date") == "yes"
    if surgery is not None:
        try:
            check_dates(surgery, discharge, today=now.date(), confirmed=confirmed)
        except EnrolmentRefused as refused:
            problems.setdefault(refused.field or "surgery_date", str(refused))
    if problems:
        raise FormRefused(problems)
    assert team is not None and surgery is not None
    try:
        # A savepoint: a refusal found on the way leaves nothing behind.
        async with session.begin_nested():
            enrolment = await enrol(
                session,
                catalogue,
                protocol_id=values["protocol"],
                team_name=team.name,
                ref=ref,
                surgery_date=surgery,
                discharge_date=discharge,
                procedure=values.get("procedure") or None,
                name=name or None,
                time_zone=zone or None,
                language=values.get("language") or None,
                now=now,
                actor=f"staff:{staff_id}",
                actor_kind="staff",
                origin="console",
                force=confirmed,
            )
    except EnrolmentRefused as refused:
        raise FormRefused({refused.field or "ref": str(refused)}) from None
    except (UnknownProtocol, ProtocolInvalid) as unknown:
        raise FormRefused({"protocol": str(unknown)}) from None
    _version, protocol = await catalogue.resolve(
        session, f"{enrolment.protocol_id}@{enrolment.protocol_version}", now
    )
    return FormEnrolled(
        enrolment=enrolment,
        protocol=protocol,
        language=values.get("language") or protocol.languages[0],
        time_zone=zone or team.timezone,
        surgery_date=surgery,
        discharge_date=discharge,
        procedure=values.get("procedure") or None,
    )


async def _own_team(session: AsyncSession, given: str, team_ids: frozenset[int]) -> Team | None:
    """The team the form names, if it is one of the staff member's (a forged id is not)."""
    if not given.isdigit() or int(given) not in team_ids:
        return None
    return await session.get(Team, int(given))


def _date(
    values: Mapping[str, str], field: str, problems: dict[str, str], *, required: bool
) -> date | None:
    given = values.get(field, "")
    if not given:
        if required:
            problems[field] = "give the date (YYYY-MM-DD)"
        return None
    try:
        return date.fromisoformat(given)
    except ValueError:
        problems[field] = f"{given!r} is not a date (YYYY-MM-DD)"
        return None
