"""Alerts: the ones the answers called for, the ones raised, and their cards in the team chat."""

from __future__ import annotations

from dataclasses import dataclass, field

from flows import Finding
from tests.chaos.cohort import PlannedCheckIn
from tests.chaos.reconcile.messages import Matching
from tests.chaos.records import AlertRecord, DatabaseRecord


@dataclass
class AlertFigures:
    raised: int = 0
    delivered: int = 0  # its card reached the team chat
    expected: int = 0  # a red flag recorded, or a check-in sent and not answered in time
    lost: int = 0  # expected and never raised, or raised and its card never arrived
    lost_examples: list[str] = field(default_factory=list)


def _findings(alerts: list[AlertRecord], episode_id: int) -> list[Finding]:
    return [finding for a in alerts if a.episode_id == episode_id for finding in a.findings]


def _flagged(alerts: list[AlertRecord], episode_id: int, item: str) -> bool:
    return any(item in finding.items for finding in _findings(alerts, episode_id))


def _non_response(alerts: list[AlertRecord], episode_id: int, checkin_id: int) -> bool:
    """A finding about the check-in that no answer fired: the non-response rule's."""
    return any(
        finding.checkin_id == checkin_id and not finding.items
        for finding in _findings(alerts, episode_id)
    )


def reconcile_alerts(
    plan: list[PlannedCheckIn],
    red_flags: dict[int, str],
    database: DatabaseRecord,
    matching: Matching,
) -> AlertFigures:
    figures = AlertFigures(raised=len(database.alerts))

    def lost(example: str) -> None:
        figures.lost += 1
        if len(figures.lost_examples) < 10:
            figures.lost_examples.append(example)

    cards = {copy.card() for copy in matching.copies} - {None}
    for alert in database.alerts:
        if alert.id in cards:
            figures.delivered += 1
        else:
            lost(f"alert {alert.id}: its card never reached the team chat")
    recorded = {(a.checkin_id, a.item_id) for a in database.answers}
    for planned in plan:
        row = database.checkins[planned.checkin_id]
        flag = red_flags.get(planned.episode_id)
        if flag is not None and (planned.checkin_id, flag) in recorded:
            figures.expected += 1
            if not _flagged(database.alerts, planned.episode_id, flag):
                lost(f"check-in {planned.checkin_id}: red flag {flag} recorded, no alert")
        # Closed unanswered after it was sent: the protocol's POD 1 non-response rule fires.
        # (One answered late, before the bot closed it, was never missed.)
        if row.status == "missed" and row.sent_at is not None:
            figures.expected += 1
            if not _non_response(database.alerts, planned.episode_id, planned.checkin_id):
                lost(f"check-in {planned.checkin_id}: not answered in time, no alert")
    return figures
