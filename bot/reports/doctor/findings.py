"""A misconfiguration found: what kind, which team (if any), and a sentence saying what to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Misconfiguration:
    kind: str  # no_group, group_unreachable, chain_reaches_nobody, no_emergency_number, …
    text: str  # a sentence for a person: what is wrong and what to do
    team: str | None = None  # the team's name, when it concerns one team

    def to_json(self) -> dict[str, str | None]:
        return {"kind": self.kind, "team": self.team, "text": self.text}
