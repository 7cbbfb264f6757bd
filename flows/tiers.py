"""Triage tiers, from "on track" to "call emergency services now"."""

from __future__ import annotations

from enum import StrEnum


class Tier(StrEnum):
    """How urgent a check-in is; the order of the members is the order of urgency."""

    GREEN = "green"
    AMBER = "amber"
    RED_URGENT = "red_urgent"
    RED_EMERGENCY = "red_emergency"

    @property
    def rank(self) -> int:
        """0 for green up to 3 for red_emergency, so tiers compare as numbers."""
        return _RANK[self]


_RANK = {tier: rank for rank, tier in enumerate(Tier)}
TIERS_BY_RANK = tuple(Tier)

# Tiers a rule may raise: a "green rule" would mean nothing, green is "no rule fired".
ALERT_TIERS = (Tier.AMBER, Tier.RED_URGENT, Tier.RED_EMERGENCY)
