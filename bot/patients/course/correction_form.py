"""A correction as the console's form asks it: the fields it shows (filled with the current
values), each checked, then ``correct``, the use case `eras patient update` calls, with its
rules and messages. A field left as it was changes nothing; a surgery date far from today
needs the confirmation ticked, as on the enrol page. A refused form writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.patients.course.correction import Corrected, Correction, correct
from bot.patients.enrolment.enrol import EnrolmentRefused
from bot.patients.enrolment.form import FormRefused, TeamChoice
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import UnknownProtocol
from db.audit import append
from db.models import Episode, Patient, ProtocolVersion, Team
from flows import ProtocolInvalid

FIELDS = ("surgery_date", "discharge_date", "procedure", "time_zone", "language", "team")


@dataclass(frozen=True)
class CorrectionForm:
    """What the form shows: the current values, the teams it may move the patient to (those
    where the staff member may enrol), and the languages of the patient's protocol."""

    ref: str
    current: dict[str, str]
    teams: list[TeamChoice]
    languages: tuple[str, ...]


async def correction_form(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    episode_id: int,
    team_ids: frozenset[int],
    *,
    viewer: tuple[int, datetime] | None = None,
) -> CorrectionForm:
    """``viewer``: (staff id, now) of a person opening the form, which shows the patient's
    record: the view is audited like the patient page's."""
    episode = await session.get_one(Episode, episode_id)
    patient = await session.get_one(Patient, episode.patient_id)
    if viewer is not None:
        await append(
            session,
            at=viewer[1],
            actor_kind="staff",
            actor_ref=f"staff:{viewer[0]}",
            action="patient.view",
            patient_ref=patient.ref,
            origin="console",
            detail={"episode": episode.id, "page": "correction"},
        )
    version = await session.get_one(ProtocolVersion, episode.protocol_version_id)
    teams = await session.scalars(
        select(Team).where(Team.id.in_(team_ids | {episode.team_id})).order_by(Team.name)
    )
    current = {
        "surgery_date": episode.surgery_date.isoformat(),
        "discharge_date": episode.discharge_date.isoformat() if episode.discharge_date else "",
        "procedure": episode.procedure or "",
        "time_zone": patient.timezone,
        "language": patient.language,
        "team": str(episode.team_id),
    }
    return CorrectionForm(
        patient.ref,
        current,
        [TeamChoice(t.id, t.name, t.timezone) for t in teams],
        tuple(catalogue.of(version).languages),
    )


async def correct_from_form(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    episode_id: int,
    values: Mapping[str, str],
    *,
    staff_id: int,
    team_ids: frozenset[int],
    now: datetime,
) -> Corrected:
    """``values``: the fields the form sent (one it did not send is left as it is);
    ``team_ids``: the teams the staff member may move the patient to. Raises FormRefused
    naming each field's problem."""
    shown = await correction_form(session, catalogue, episode_id, team_ids)
    problems: dict[str, str] = {}
    changed = {
        name: values[name].strip()
        for name in FIELDS
        if name in values and values[name].strip() != shown.current[name]
    }
    dates: dict[str, date | None] = {}
    for name in ("surgery_date", "discharge_date"):
        dates[name] = _date(changed.get(name), name, problems)
    team_name = None
    if "team" in changed:
        chosen = next((t for t in shown.teams if str(t.id) == changed["team"]), None)
        if chosen is None or chosen.id not in team_ids:
            problems["team"] = "choose one of your teams"
        else:
            team_name = chosen.name
    if problems:
        raise FormRefused(problems)
    correction = Correction(
        surgery_date=dates["surgery_date"],
        discharge_date=dates["discharge_date"],
        procedure=changed.get("procedure"),
        time_zone=changed.get("time_zone") or None,
        language=changed.get("language") or None,
        team=team_name,
    )
    if correction.is_empty():
        return Corrected(shown.ref, (), None, False)
    try:
        # A savepoint: a refusal found on the way leaves nothing behind.
        async with session.begin_nested():
            return await correct(
                session,
                catalogue,
                ref=shown.ref,
                correction=correction,
                now=now,
                actor=f"staff:{staff_id}",
                actor_kind="staff",
                origin="console",
                force=values.get("confirm_date") == "yes",
            )
    except EnrolmentRefused as refused:
        raise FormRefused({refused.field or _field_of(str(refused)): str(refused)}) from None
    except (UnknownProtocol, ProtocolInvalid) as unknown:
        raise FormRefused({"language": str(unknown)}) from None


def _date(given: str | None, field: str, problems: dict[str, str]) -> date | None:
    if not given:
        return None  # left as it was (a date cannot be taken away here)
    try:
        return date.fromisoformat(given)
    except ValueError:
        problems[field] = f"{given!r} is not a date (YYYY-MM-DD)"
        return None


def _field_of(message: str) -> str:
    """Where a refusal without a field belongs on the form."""
    for word, field in (("time zone", "time_zone"), ("speaks", "language"), ("team", "team")):
        if word in message:
            return field
    return "surgery_date"
