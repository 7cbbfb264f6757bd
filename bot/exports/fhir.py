"""A scope of patients as FHIR R4 transaction Bundles, one a patient, read in batches.

What is read: patients not erased, their episodes (of one team when asked), the check-ins with
answers and the alerts since a date. Telegram ids, tokens and photos are never read out;
names only when asked. Each export is written to the audit log by scope (ids), before the first
Bundle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.protocols.catalogue import ProtocolCatalogue
from db.audit import append
from db.models import Alert, Answer, CheckIn, Episode, Patient, Team
from db.models.states import CheckInStatus, EpisodeStatus
from db.stored import JsonValues, as_stored, instant, json_text
from flows.fhir import (
    AlertRecord,
    EpisodeRecord,
    PatientRecord,
    ResponseRecord,
    patient_bundle,
)

ACTION = "fhir.export"
_ENDED = (EpisodeStatus.DECLINED, EpisodeStatus.COMPLETED, EpisodeStatus.WITHDRAWN)
BATCH = 100
_RESPONSE_STATUS = {
    CheckInStatus.COMPLETED: "completed",
    CheckInStatus.IN_PROGRESS: "in-progress",
    CheckInStatus.MISSED: "stopped",
    CheckInStatus.CANCELLED: "stopped",
}


class UnknownScope(LookupError):
    """No such patient (or erased), or no such team."""


class InvalidResource(ValueError):
    """A resource built here that FHIR R4 does not accept: a fault of the program."""


@dataclass(frozen=True)
class Scope:
    patient_ref: str | None = None
    team: str | None = None
    since: date | None = None
    with_names: bool = False


@dataclass(frozen=True)
class Export:
    """A scope that was checked and recorded: what ``bundles`` reads."""

    scope: Scope
    patient_id: int | None
    team_id: int | None


async def open_export(
    sessions: async_sessionmaker[AsyncSession], scope: Scope, *, now: datetime, actor: str
) -> Export:
    """Check the scope (``UnknownScope`` names what is not there) and record the export."""
    async with sessions.begin() as session:
        export = Export(
            scope,
            patient_id=await _patient_id(session, scope.patient_ref),
            team_id=await _team_id(session, scope.team),
        )
        detail: dict[str, Any] = {"scope": "all", "with_names": scope.with_names}
        if export.patient_id is not None:
            detail |= {"scope": "patient", "patient_id": export.patient_id}
        if export.team_id is not None:
            detail |= {"scope": "team", "team_id": export.team_id}
        if scope.since is not None:
            detail["since"] = scope.since.isoformat()
        await append(
            session,
            at=now,
            actor_kind="cli",
            actor_ref=actor,
            action=ACTION,
            origin="cli",
            detail=detail,
        )
    return export


async def _patient_id(session: AsyncSession, ref: str | None) -> int | None:
    if ref is None:
        return None
    found = await session.scalar(
        select(Patient.id).where(Patient.ref == ref, Patient.erased_at.is_(None))
    )
    if found is None:
        raise UnknownScope(f"no patient with reference {ref!r}")
    return found


async def _team_id(session: AsyncSession, name: str | None) -> int | None:
    if name is None:
        return None
    found = await session.scalar(select(Team.id).where(Team.name == name))
    if found is None:
        raise UnknownScope(f"no team named {name!r}")
    return found


async def bundles(
    sessions: async_sessionmaker[AsyncSession],
    catalogue: ProtocolCatalogue,
    export: Export,
    namespace: UUID,
    *,
    batch: int = BATCH,
) -> AsyncIterator[dict[str, Any]]:
    """One transaction Bundle a patient in the scope, in the order of their ids; a
    transaction a batch of patients, none held open while the Bundles are written."""
    after = 0
    # A protocol's Questionnaire is the same in every Bundle: made once and checked once.
    questionnaires: dict[str, dict[str, Any]] = {}
    validated: dict[str, dict[str, Any]] = {}
    while True:
        async with sessions.begin() as session:
            records = await _batch(session, catalogue, export, after, batch)
        for record in records:
            yield checked(patient_bundle(record, namespace.bytes, questionnaires), validated)
        if len(records) < batch:
            return
        after = records[-1].id


def checked(
    bundle: dict[str, Any], validated: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The Bundle, once each of its resources parses with the R4B models (the message names
    the kind of resource only: the values are a patient's). ``validated``: Questionnaires
    already checked, by their place (``fullUrl``); one equal to its checked copy is not
    checked again (they repeat in every Bundle; the rest are each a Bundle's own)."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        if validated is not None and validated.get(entry["fullUrl"]) == resource:
            continue
        try:
            get_fhir_model_class(kind).model_validate(resource)
        except ValidationError:
            raise InvalidResource(f"a {kind} did not validate as FHIR R4") from None
        if validated is not None and kind == "Questionnaire":
            validated[entry["fullUrl"]] = resource
    return bundle


async def _batch(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    export: Export,
    after: int,
    size: int,
) -> list[PatientRecord]:
    scope = export.scope
    query = select(Patient).where(Patient.erased_at.is_(None), Patient.id > after)
    if export.patient_id is not None:
        query = query.where(Patient.id == export.patient_id)
    if export.team_id is not None:
        in_team = select(Episode.patient_id).where(Episode.team_id == export.team_id)
        query = query.where(Patient.id.in_(in_team))
    patients = list(await session.scalars(query.order_by(Patient.id).limit(size)))
    if not patients:
        return []
    episodes_query = select(Episode).where(Episode.patient_id.in_([p.id for p in patients]))
    if export.team_id is not None:
        episodes_query = episodes_query.where(Episode.team_id == export.team_id)
    episodes = list(await session.scalars(episodes_query.order_by(Episode.id)))
    responses = await _responses(session, [e.id for e in episodes], scope.since)
    alerts = await _alerts(session, [e.id for e in episodes], scope.since)
    languages = {p.id: p.language for p in patients}
    by_patient: dict[int, list[EpisodeRecord]] = defaultdict(list)
    for episode in episodes:
        by_patient[episode.patient_id].append(
            EpisodeRecord(
                id=episode.id,
                protocol=await catalogue.of_id(session, episode.protocol_version_id),
                language=languages[episode.patient_id],
                procedure=episode.procedure,
                surgery_date=episode.surgery_date,
                status=episode.status.value,
                started=episode.created_at.date(),
                ended=episode.updated_at.date() if _ended(episode) else None,
                responses=tuple(responses[episode.id]),
                alerts=tuple(alerts[episode.id]),
            )
        )
    return [
        PatientRecord(
            id=p.id,
            ref=p.ref,
            name=p.display_name if scope.with_names else None,
            episodes=tuple(by_patient[p.id]),
            words=scope.with_names,
        )
        for p in patients
    ]


def _ended(episode: Episode) -> bool:
    return episode.status in _ENDED


def _from(since: date) -> datetime:
    return datetime.combine(since, time(), tzinfo=UTC)


async def _responses(
    session: AsyncSession, episode_ids: Sequence[int], since: date | None
) -> dict[int, list[ResponseRecord]]:
    # Columns, not entities, and each answer's JSON decoded once a distinct value: most of
    # the rows an export reads are answers (a hundred and more a patient).
    query = (
        select(
            CheckIn.id,
            CheckIn.episode_id,
            CheckIn.status,
            as_stored(CheckIn.completed_at),
            Answer.item_id,
            json_text(Answer.value, session.get_bind().dialect.name),
            as_stored(Answer.answered_at),
        )
        .join(Answer, Answer.checkin_id == CheckIn.id)
        .where(CheckIn.episode_id.in_(episode_ids))
        .order_by(CheckIn.id, Answer.id)
    )
    if since is not None:
        query = query.where(CheckIn.due_at >= _from(since))
    decoded = JsonValues()
    checkins: dict[int, tuple[int, CheckInStatus, Any]] = {}
    answers: dict[int, dict[str, Any]] = defaultdict(dict)
    last: dict[int, datetime] = {}
    rows = await (await session.connection()).execute(query)
    for checkin_id, episode_id, status, completed, item, value, answered in rows:
        checkins[checkin_id] = (episode_id, status, completed)
        answers[checkin_id][item] = decoded(value)
        if completed is None:  # the last answer stands for a check-in not completed
            at = instant(answered)
            last[checkin_id] = max(last.get(checkin_id, at), at)
    found: dict[int, list[ResponseRecord]] = defaultdict(list)
    for checkin_id, (episode_id, status, completed) in checkins.items():
        found[episode_id].append(
            ResponseRecord(
                id=checkin_id,
                status=_RESPONSE_STATUS.get(status, "in-progress"),
                authored=instant(completed) if completed is not None else last[checkin_id],
                answers=answers[checkin_id],
            )
        )
    return found


async def _alerts(
    session: AsyncSession, episode_ids: Sequence[int], since: date | None
) -> dict[int, list[AlertRecord]]:
    query = select(Alert).where(Alert.episode_id.in_(episode_ids)).order_by(Alert.id)
    if since is not None:
        query = query.where(Alert.opened_at >= _from(since))
    found: dict[int, list[AlertRecord]] = defaultdict(list)
    for alert in await session.scalars(query):
        found[alert.episode_id].append(
            AlertRecord(
                id=alert.id,
                tier=alert.tier,
                status=alert.status.value,
                opened_at=alert.opened_at,
                updated_at=alert.resolved_at or alert.updated_at,
                findings=alert.findings,
                checkin_id=alert.checkin_id,
            )
        )
    return found
