"""A finding: one rule that fired, as scoring reports it and as an alert keeps it.

Scoring says which rule fired, at which tier and why, with the answers it looked at and the
POD they were given on; the bot adds the check-in they came from when an alert records it.
Findings of the follow-up itself (refused, paused, unreachable) look at no answers.

An alert stores its findings as JSON: ``from_json`` reads what ``to_json`` writes, and also
the findings stored before they were typed, which left out the keys they had no value for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows.answers import AnswerValue
from flows.tiers import Tier


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # the rule's id, as in alerts, logs and tests (or the follow-up's reason)
    tier: Tier
    items: tuple[str, ...] = ()  # the answered items the rule looked at
    reason: Mapping[str, str] = field(default_factory=dict)  # per language, for nurses
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)  # those items' answers
    pod: int | None = None  # of the check-in judged
    checkin_id: int | None = None  # the recorded check-in, once an alert keeps the finding
    # The answers as the team reads them, with their units: "38.5 °C", "7/10", "4 days".
    values: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "tier": self.tier.value,
            "items": list(self.items),
            "reason": dict(self.reason),
            "answers": dict(self.answers),
            "values": dict(self.values),
            "pod": self.pod,
            "checkin_id": self.checkin_id,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            rule=str(data["rule"]),
            tier=Tier(data["tier"]),
            items=tuple(data.get("items", ())),
            reason=dict(data.get("reason", {})),
            answers=dict(data.get("answers", {})),
            values=dict(data.get("values", {})),
            pod=data.get("pod"),
            checkin_id=data.get("checkin_id"),
        )
