"""What the patient reads after a check-in: advice for the tier, and the day's short note."""

from __future__ import annotations

from collections.abc import Sequence

from flows.schema.protocol import Protocol
from flows.tiers import Tier


def advice_text(protocol: Protocol, tier: Tier, language: str, emergency_number: str) -> str:
    """The protocol's advice for ``tier`` with the site's emergency number filled in.

    For red_emergency this is the message to show first, before anything else.
    """
    if not emergency_number.strip():
        raise ValueError("the emergency number is empty: the site must set it")
    return protocol.advice.text(tier)[language].format(emergency_number=emergency_number.strip())


def reply_texts(
    protocol: Protocol,
    tier: Tier,
    rules: Sequence[str],
    language: str,
    emergency_number: str,
) -> tuple[str, ...]:
    """What the patient reads after a check-in of ``tier`` whose findings are ``rules``, in
    order: the tier's advice; the self-care line of each rule that has one (once each); and,
    for amber and red_urgent, the safety net, the signs that mean calling the number now."""
    lines = [advice_text(protocol, tier, language, emergency_number)]
    by_id = {rule.id: rule for rule in protocol.rules}
    for rule_id in dict.fromkeys(rules):
        rule = by_id.get(rule_id)
        if rule is not None and rule.advice is not None:
            lines.append(rule.advice.text[language])
    net = protocol.advice.safety_net
    if net is not None and tier in (Tier.AMBER, Tier.RED_URGENT):
        lines.append(net[language].format(emergency_number=emergency_number.strip()))
    return tuple(dict.fromkeys(lines))


def education_texts(protocol: Protocol, pod: int, language: str) -> tuple[str, ...]:
    """The protocol's notes for the patient on ``pod``, in order."""
    return tuple(note.text[language] for note in protocol.education if pod in note.pods)
