"""The CSV: the scope's data in long format, one row per answer and one per alert event.

Streamed from the database to the file, never held whole; exact values (no small-cell
masking: this is the hospital's own analysis). ``COLUMNS`` is the data dictionary's order
(docs/OUTCOMES.md).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.outcomes.reading import Scope, episodes_in, kinds_of, team_id
from db.models import Alert, AlertEvent, Answer, CheckIn, Episode, Patient, ProtocolVersion

COLUMNS = (
    "record",
    "patient_ref",
    "episode_id",
    "pathway",
    "protocol_version",
    "approach",
    "operation",
    "surgery_date",
    "checkin_id",
    "checkin_kind",
    "pod",
    "item",
    "value",
    "answered_at",
    "late",
    "alert_id",
    "alert_tier",
    "alert_cause",
    "event",
    "event_at",
    "outcome",
    "clavien_dindo",
)
BATCH = 2_000


async def long_rows(
    session: AsyncSession, catalogue: ProtocolCatalogue, scope: Scope
) -> AsyncIterator[dict[str, Any]]:
    """Every answer of the scope's episodes, then every event of their alerts."""
    in_scope = episodes_in(scope, await team_id(session, scope.team))
    episode = (
        Patient.ref,
        Episode.id,
        ProtocolVersion.protocol_id,
        ProtocolVersion.version,
        Episode.surgery_date,
    )
    answers = (
        select(
            *episode,
            CheckIn.id,
            CheckIn.kind,
            CheckIn.pod,
            Answer.item_id,
            Answer.value,
            Answer.answered_at,
            Answer.late,
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
        .join(CheckIn, CheckIn.episode_id == Episode.id)
        .join(Answer, Answer.checkin_id == CheckIn.id)
        .where(Episode.id.in_(in_scope))
        .order_by(Episode.id, CheckIn.due_at, CheckIn.id, Answer.id)
    )
    # Columns, not entities, taken a batch at a time: an ORM object and a switch into the
    # driver's thread per answer were most of the time at 300,000 check-ins.
    # The rows come an episode at a time: its columns are made once for all its answers.
    result = await session.stream(answers.execution_options(yield_per=BATCH))
    part: dict[str, Any] = {}
    async for batch in result.partitions():
        for ref, episode_id, pathway, version, surgery, checkin_id, kind, pod, *answer in batch:
            item, value, answered_at, late = answer
            if part.get("episode_id") != episode_id:
                part = _episode_part(ref, episode_id, pathway, version, surgery)
            yield part | {
                "record": "answer",
                "checkin_id": checkin_id,
                "checkin_kind": kind.value,
                "pod": pod,
                "item": item,
                "value": _value(value),
                "answered_at": answered_at.isoformat(),
                "late": late,
            }
    events = (
        select(*episode, Alert.id, Alert.tier, Alert.cause, AlertEvent)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
        .join(Alert, Alert.episode_id == Episode.id)
        .join(AlertEvent, AlertEvent.alert_id == Alert.id)
        .where(Episode.id.in_(in_scope))
        .order_by(Episode.id, Alert.id, AlertEvent.at, AlertEvent.id)
    )
    result = await session.stream(events.execution_options(yield_per=BATCH))
    async for ref, episode_id, pathway, version, surgery, alert_id, tier, cause, event in result:
        yield _episode_part(ref, episode_id, pathway, version, surgery) | {
            "record": "alert_event",
            "alert_id": alert_id,
            "alert_tier": tier.value,
            "alert_cause": cause,
            "event": event.kind,
            "event_at": event.at.isoformat(),
            "outcome": event.detail.get("outcome"),
            "clavien_dindo": event.detail.get("clavien_dindo"),
        }


def _episode_part(
    ref: str, episode_id: int, pathway: str, version: str, surgery: Any
) -> dict[str, Any]:
    approach, operation = kinds_of(pathway)
    return {
        "patient_ref": ref,
        "episode_id": episode_id,
        "pathway": pathway,
        "protocol_version": version,
        "approach": approach,
        "operation": operation,
        "surgery_date": surgery.isoformat(),
    }


def _value(value: Any) -> Any:
    """Numbers and words as they are; anything else (a list) as JSON."""
    return (
        value if isinstance(value, str | int | float | bool) or value is None else json.dumps(value)
    )
