"""What the patient reads after a check-in: advice for the tier, and the day's short note."""

from __future__ import annotations

from flows.schema.protocol import Protocol
from flows.tiers import Tier


def advice_text(protocol: Protocol, tier: Tier, language: str, emergency_number: str) -> str:
    """The protocol's advice for ``tier`` with the site's emergency number filled in.

    For red_emergency this is the message to show first, before anything else.
    """
    if not emergency_number.strip():
        raise ValueError("the emergency number is empty: the site must set it")
    return protocol.advice.text(tier)[language].format(emergency_number=emergency_number.strip())


def education_texts(protocol: Protocol, pod: int, language: str) -> tuple[str, ...]:
    """The protocol's notes for the patient on ``pod``, in order."""
    return tuple(note.text[language] for note in protocol.education if pod in note.pods)
