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
from db.stored import JsonValues, as_stored, instant, json_text

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
Row = tuple[Any, ...]  # one line of the CSV, in the order of COLUMNS
_AFTER_ANSWER = (None,) * 7  # the alert event's columns of an answer's row
_BEFORE_EVENT = (None,) * 7  # the answer's columns of an alert event's row


async def long_rows(
    session: AsyncSession, catalogue: ProtocolCatalogue, scope: Scope
) -> AsyncIterator[list[Row]]:
    """Every answer of the scope's episodes, then every event of their alerts: rows in the
    order of ``COLUMNS``, a batch at a time (for ``csv.writer.writerows``)."""
    in_scope = episodes_in(scope, await team_id(session, scope.team))
    episode = (
        Patient.ref,
        Episode.id,
        ProtocolVersion.protocol_id,
        ProtocolVersion.version,
        Episode.surgery_date,
    )
    connection = await session.connection()  # Core rows: no ORM step for plain columns
    # An episode's columns, made once: the answers' rows carry only the episode's id.
    parts = {
        episode_id: _episode_part(ref, episode_id, pathway, version, surgery)
        for ref, episode_id, pathway, version, surgery in await connection.execute(
            select(*episode)
            .join(Patient, Patient.id == Episode.patient_id)
            .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
            .where(Episode.id.in_(in_scope))
        )
    }
    answers = (
        select(
            CheckIn.episode_id,
            CheckIn.id,
            as_stored(CheckIn.kind),
            CheckIn.pod,
            Answer.item_id,
            json_text(Answer.value, session.get_bind().dialect.name),
            as_stored(Answer.answered_at),
            Answer.late,
        )
        .join(Answer, Answer.checkin_id == CheckIn.id)
        .where(CheckIn.episode_id.in_(in_scope))
        .order_by(CheckIn.episode_id, CheckIn.due_at, CheckIn.id, Answer.id)
    )
    # Columns, not entities, taken a batch at a time, and tuples, not dictionaries: at
    # 300,000 check-ins (2.9 million answers) every step a row takes counts. A value and an
    # instant are converted once for all the rows that hold the same.
    cells = _Cells()
    result = await connection.stream(answers.execution_options(yield_per=BATCH))
    async for batch in result.partitions():
        rows = []
        for episode_id, checkin_id, kind, pod, item, value, answered_at, late in batch:
            rows.append(
                (
                    "answer",
                    *parts[episode_id],
                    checkin_id,
                    kind,
                    pod,
                    item,
                    cells.value(value),
                    cells.instant(answered_at),
                    late,
                    *_AFTER_ANSWER,
                )
            )
        yield rows
    events = (
        select(
            *episode,
            Alert.id,
            Alert.tier,
            Alert.cause,
            AlertEvent.kind,
            AlertEvent.at,
            AlertEvent.detail,
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
        .join(Alert, Alert.episode_id == Episode.id)
        .join(AlertEvent, AlertEvent.alert_id == Alert.id)
        .where(Episode.id.in_(in_scope))
        .order_by(Episode.id, Alert.id, AlertEvent.at, AlertEvent.id)
    )
    result = await connection.stream(events.execution_options(yield_per=BATCH))
    async for batch in result.partitions():
        yield [_event_row(*row) for row in batch]


def _event_row(
    ref: str,
    episode_id: int,
    pathway: str,
    version: str,
    surgery: Any,
    alert_id: int,
    tier: Any,
    cause: str,
    event: str,
    at: Any,
    detail: dict[str, Any],
) -> Row:
    return (
        "alert_event",
        *_episode_part(ref, episode_id, pathway, version, surgery),
        *_BEFORE_EVENT,
        alert_id,
        tier.value,
        cause,
        event,
        at.isoformat(),
        detail.get("outcome"),
        detail.get("clavien_dindo"),
    )


def _episode_part(ref: str, episode_id: int, pathway: str, version: str, surgery: Any) -> Row:
    """patient_ref to surgery_date."""
    approach, operation = kinds_of(pathway)
    return (ref, episode_id, pathway, version, approach, operation, surgery.isoformat())


class _Cells:
    """An answer's value and time as the CSV writes them, from what the database holds."""

    def __init__(self) -> None:
        self._values = JsonValues()
        self._instants: dict[Any, str] = {}

    def value(self, stored: str | None) -> Any:
        """Numbers and words as they are; anything else (a list) as JSON."""
        value = self._values(stored)
        if isinstance(value, str | int | float | bool) or value is None:
            return value
        return json.dumps(value)

    def instant(self, stored: Any) -> str:
        # The answers of one check-in often share their instant; kept for one check-in.
        text = self._instants.get(stored)
        if text is None:
            if len(self._instants) > 64:
                self._instants.clear()
            text = self._instants[stored] = instant(stored).isoformat()
        return text
