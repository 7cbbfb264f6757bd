"""The team corrects a follow-up in progress: a mistyped surgery or discharge date, the
operation, the pathway version, the patient's time zone or language, or the team.

Check-ins not yet due follow the corrected dates, zone and version; what was sent,
answered or missed stays as it was. A new version goes through ``set_protocol``, as
``eras patient set-protocol`` does. The patient is told, in their language, what changed
that concerns them; the audit row names the fields, never their values.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import PatientChat
from bot.i18n import t
from bot.patients.chat.requests import next_checkin
from bot.patients.course.protocol_change import set_protocol
from bot.patients.course.team_change import Actor, open_chat, tell_and_audit
from bot.patients.enrolment.enrol import EnrolmentRefused, check_dates, replan
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render import patient as render
from bot.time_zones import is_time_zone, suggest_time_zone
from db.models import EpisodeStatus, ProtocolVersion, Team


@dataclass(frozen=True)
class Correction:
    """What to change; None leaves a field as it is. An empty procedure clears it."""

    surgery_date: date | None = None
    discharge_date: date | None = None
    procedure: str | None = None
    protocol: str | None = None  # ID or ID@VERSION
    time_zone: str | None = None
    language: str | None = None
    team: str | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


@dataclass(frozen=True)
class Corrected:
    ref: str
    changed: tuple[str, ...]  # the names of the fields that changed, in Correction's order
    replanned: int | None  # check-ins planned again; None: the schedule did not move
    told: bool  # whether the patient is written to (linked, and something concerns them)


# The fields that move the schedule, and those the patient is told of.
SCHEDULE = ("surgery_date", "discharge_date", "time_zone", "protocol")
TOLD = ("surgery_date", "discharge_date", "procedure", "language", "time_zone", "team")


async def correct(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    *,
    ref: str,
    correction: Correction,
    now: datetime,
    actor: str,
    force: bool = False,
    actor_kind: str = "cli",
    origin: str = "cli",
) -> Corrected:
    """``force``: take a surgery date outside the usual window. Raises EnrolmentRefused
    (or UnknownProtocol) naming what cannot be taken; nothing is changed then."""
    if correction.is_empty():
        raise EnrolmentRefused("nothing to change: give at least one new value")
    chat = await open_chat(session, ref, now)
    patient, episode = chat.patient, chat.episode
    team = await _team(session, correction.team) if correction.team is not None else None
    if correction.time_zone is not None:
        _check_time_zone(correction.time_zone)
    current = await session.get_one(ProtocolVersion, episode.protocol_version_id)
    version, protocol = current, catalogue.of(current)
    if correction.protocol is not None:
        version, protocol = await catalogue.resolve(session, correction.protocol, now)
    language = correction.language or patient.language  # a new version must speak it too
    if language not in protocol.languages:
        raise EnrolmentRefused(
            f"protocol {protocol.id!r} speaks {', '.join(protocol.languages)}, not {language!r}"
        )
    surgery = correction.surgery_date or episode.surgery_date
    discharge = correction.discharge_date or episode.discharge_date
    # The window is checked only for a new surgery date: an old patient's stays taken.
    check_dates(
        surgery, discharge, today=now.date(), confirmed=force or correction.surgery_date is None
    )

    procedure = None if correction.procedure is None else correction.procedure.strip()[:200]
    wanted = {
        "surgery_date": (correction.surgery_date, episode.surgery_date),
        "discharge_date": (correction.discharge_date, episode.discharge_date),
        "procedure": (procedure, episode.procedure or ""),
        "protocol": (version.id if correction.protocol else None, current.id),
        "time_zone": (correction.time_zone, patient.timezone),
        "language": (correction.language, patient.language),
        "team": (team.id if team else None, episode.team_id),
    }
    changed = tuple(name for name, (new, old) in wanted.items() if new is not None and new != old)
    if not changed:
        return Corrected(ref, (), None, False)

    episode.surgery_date, episode.discharge_date = surgery, discharge
    if "procedure" in changed:
        episode.procedure = procedure or None
    if team is not None:
        episode.team_id = team.id
    patient.timezone = correction.time_zone or patient.timezone
    patient.language = correction.language or patient.language
    episode.updated_at = now

    replanned = None
    if "protocol" in changed:
        moved = await set_protocol(
            session,
            catalogue,
            ref=ref,
            spec=f"{version.protocol_id}@{version.version}",
            now=now,
            actor=actor,
            actor_kind=actor_kind,
            origin=origin,
        )
        replanned = moved.replanned
    elif any(name in SCHEDULE for name in changed):
        replanned = await replan(session, episode, version.id, protocol, patient.timezone, now)

    message = await _what_changed(chat, changed, team.name if team else None)
    linked = await tell_and_audit(
        chat,
        actor=Actor(actor, actor_kind, origin),
        action="patient.update",
        detail={"changed": list(changed)} | ({"team": team.name} if team else {}),
        message=message,
    )
    return Corrected(ref, changed, replanned, told=linked and message is not None)


async def _team(session: AsyncSession, name: str) -> Team:
    team = await session.scalar(select(Team).where(Team.name == name))
    if team is None:
        raise EnrolmentRefused(f"no team named {name!r} (see `eras team list`)")
    return team


def _check_time_zone(zone: str) -> None:
    if not is_time_zone(zone):
        meant = suggest_time_zone(zone)
        hint = f"did you mean {meant}?" if meant else "use an IANA name such as Europe/Madrid"
        raise EnrolmentRefused(f"unknown time zone {zone!r}: {hint}")


async def _what_changed(
    chat: PatientChat, changed: tuple[str, ...], team: str | None
) -> tuple[render.Payload, str] | None:
    """The lines the patient is told, in their (new) language; None if nothing concerns
    them, or if they paused the follow-up themselves (they asked for quiet)."""
    told = [name for name in changed if name in TOLD]
    if not told or chat.episode.status is EpisodeStatus.PAUSED:
        return None
    lang, episode, patient = chat.language, chat.episode, chat.patient
    values = {
        "surgery_date": episode.surgery_date.isoformat(),
        "discharge_date": episode.discharge_date.isoformat() if episode.discharge_date else "",
        "procedure": episode.procedure or t(lang, "updated_not_recorded"),
        "language": render.LANGUAGE_NAMES.get(patient.language, patient.language),
        "time_zone": patient.timezone,
        "team": team or "",
    }
    lines = [t(lang, "updated_by_team")]
    lines += [t(lang, f"updated_{name}", value=values[name]) for name in told]
    if any(name in SCHEDULE for name in changed):
        lines.append(t(lang, "updated_next_checkin", next_checkin=await next_checkin(chat)))
    return render.message("\n".join(lines)), "updated"
