"""A team's part of the audit log, as its admins read it on the console: who did what, when,
to which record; filtered, a page at a time (newest first), and whether the chain holds.

The log has no team column: an entry about a patient belongs to the teams that patient was
enrolled with; an entry about no patient (a sign-in, a worklist opened) to the teams of the
staff member who acted. Each reading is itself an entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports.audit_log import ChainReport, verify_in
from db.audit import append
from db.models import AuditEntry, Episode, Patient, Staff, Team, TeamMember

PAGE_SIZE = 50
ACTOR_LIMIT = 64  # the column's width
# The detail keys that name a record, and how a reader says them.
RECORD_KEYS = (("episode", "episode"), ("alert", "alert"), ("alerts", "alert"))


@dataclass(frozen=True)
class AuditFilter:
    """What an admin asked for; every part optional. Dates are the team's calendar days,
    both included; ``before`` is the cursor: entries older than that id."""

    actor: str = ""  # an actor reference, e.g. staff:12 or patient:P-001
    action: str = ""
    since: date | None = None
    until: date | None = None
    before: int | None = None
    patient: str = ""  # a patient's reference: every entry about them


@dataclass(frozen=True)
class AuditLine:
    id: int
    at: datetime
    actor_ref: str
    actor_name: str | None  # a staff member's name, when the actor is one
    action: str
    outcome: str
    origin: str
    patient_ref: str | None
    records: str  # the records the detail names, e.g. "episode 3 · alert 7"


@dataclass(frozen=True)
class AuditPage:
    lines: tuple[AuditLine, ...]
    older: int | None  # the cursor for the next page, None on the last
    staff: tuple[tuple[str, str], ...]  # (actor reference, name) of the teams' staff
    actions: tuple[str, ...]  # every action the teams' entries hold, for the filter
    chain: ChainReport | None  # verified with the first page only: it reads the whole log
    zone: str
    # The patient asked for is not one of the teams' (or there is no such reference): no
    # entry is shown, and the answer is the same either way.
    unknown_patient: bool = False


NO_SUCH_PATIENT = "There is no such patient in your teams."


async def team_audit(
    session: AsyncSession,
    team_ids: frozenset[int],
    asked: AuditFilter,
    *,
    viewer_id: int,
    now: datetime,
    key: bytes | None,
    audited: bool = True,
) -> AuditPage:
    """One page of the teams' entries, newest first (keyset: ids below the cursor)."""
    chain = await verify_in(session, key) if asked.before is None else None
    # Days and times as the (first) team's ward clock reads them.
    first = select(Team.timezone).where(Team.id.in_(team_ids)).order_by(Team.id).limit(1)
    zone = (await session.scalar(first)) or "UTC"
    members = await session.execute(
        select(Staff.id, Staff.name)
        .join(TeamMember, TeamMember.staff_id == Staff.id)
        .where(TeamMember.team_id.in_(team_ids))
        .distinct()
        .order_by(Staff.name, Staff.id)
    )
    names = {f"staff:{staff_id}": name for staff_id, name in members}
    scope = _of_teams(team_ids, list(names))
    actions = tuple(
        await session.scalars(select(AuditEntry.action).where(scope).distinct().order_by("action"))
    )
    if asked.patient and not await _in_teams(session, asked.patient, team_ids):
        if audited:
            await _audit(session, viewer_id, now, team_ids, asked, 0, patient_ref=None)
        return AuditPage((), None, tuple(names.items()), actions, chain, zone, True)
    query = select(AuditEntry).where(scope).order_by(AuditEntry.id.desc()).limit(PAGE_SIZE + 1)
    for condition in _conditions(asked, zone):
        query = query.where(condition)
    found = list(await session.scalars(query))
    older = found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None
    lines = tuple(_line(entry, names) for entry in found[:PAGE_SIZE])
    if audited:  # reading a patient's entries is a view of their record: it names them
        patient_ref = asked.patient or None
        await _audit(session, viewer_id, now, team_ids, asked, len(lines), patient_ref)
    return AuditPage(lines, older, tuple(names.items()), actions, chain, zone)


async def _in_teams(session: AsyncSession, ref: str, team_ids: frozenset[int]) -> bool:
    found = await session.scalar(
        select(Patient.id)
        .join(Episode, Episode.patient_id == Patient.id)
        .where(Patient.ref == ref, Episode.team_id.in_(team_ids))
        .limit(1)
    )
    return found is not None


async def _audit(
    session: AsyncSession,
    viewer_id: int,
    now: datetime,
    team_ids: frozenset[int],
    asked: AuditFilter,
    entries: int,
    patient_ref: str | None,
) -> None:
    await append(
        session,
        at=now,
        actor_kind="staff",
        actor_ref=f"staff:{viewer_id}",
        action="audit.view",
        outcome="done" if patient_ref or not asked.patient else "refused",
        origin="console",
        patient_ref=patient_ref,
        detail={"teams": sorted(team_ids), "filter": _said(asked), "entries": entries},
    )


def _of_teams(team_ids: frozenset[int], staff_refs: list[str]) -> ColumnElement[bool]:
    patients = (
        select(Patient.ref)
        .join(Episode, Episode.patient_id == Patient.id)
        .where(Episode.team_id.in_(team_ids))
    )
    return or_(
        AuditEntry.patient_ref.in_(patients),
        and_(AuditEntry.patient_ref.is_(None), AuditEntry.actor_ref.in_(staff_refs)),
    )


def _conditions(asked: AuditFilter, zone: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if asked.actor:
        conditions.append(AuditEntry.actor_ref == asked.actor[:ACTOR_LIMIT])
    if asked.action:
        conditions.append(AuditEntry.action == asked.action)
    if asked.patient:
        conditions.append(
            or_(
                AuditEntry.patient_ref == asked.patient,
                AuditEntry.actor_ref == f"patient:{asked.patient}"[:ACTOR_LIMIT],
            )
        )
    if asked.since is not None:
        conditions.append(AuditEntry.at >= _midnight(asked.since, zone))
    if asked.until is not None:
        conditions.append(AuditEntry.at < _midnight(asked.until + timedelta(days=1), zone))
    if asked.before is not None:
        conditions.append(AuditEntry.id < asked.before)
    return conditions


def _midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), ZoneInfo(zone))


def _line(entry: AuditEntry, names: dict[str, str]) -> AuditLine:
    return AuditLine(
        id=entry.id,
        at=entry.at,
        actor_ref=entry.actor_ref,
        actor_name=names.get(entry.actor_ref),
        action=entry.action,
        outcome=entry.outcome,
        origin=entry.origin,
        patient_ref=entry.patient_ref,
        records=_records(entry.detail),
    )


def _records(detail: dict[str, Any]) -> str:
    named = []
    for key, word in RECORD_KEYS:
        value = detail.get(key)
        ids = value if isinstance(value, list) else [value] if isinstance(value, int) else []
        if ids:
            named.append(f"{word}{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}")
    return " · ".join(named)


def _said(asked: AuditFilter) -> dict[str, Any]:
    return {
        "actor": asked.actor or None,
        "action": asked.action or None,
        "patient": bool(asked.patient),  # whether; which is the entry's patient_ref
        "since": asked.since.isoformat() if asked.since else None,
        "until": asked.until.isoformat() if asked.until else None,
        "before": asked.before,
    }
