"""What the care team sees of an alert in its group chat."""

from __future__ import annotations

from typing import Any

from bot.render.patient import Payload, button, keyboard, message

ACKNOWLEDGE = "k"

TIER_LABELS = {
    "red_emergency": "🔴 RED — EMERGENCY",
    "red_urgent": "🟠 RED — URGENT",
    "amber": "🟡 AMBER",
    "green": "🟢 GREEN",
}


def alert_card(
    *,
    alert_id: int,
    tier: str,
    patient_ref: str,
    patient_name: str | None,
    procedure: str | None,
    pod: int | None,
    findings: list[dict[str, Any]],
    footer: str | None = None,
    can_acknowledge: bool = False,
    language: str = "en",
) -> Payload:
    """Who, what fired and why, with the answers that fired it; the Acknowledge button
    while nobody has."""
    who = patient_ref + (f" ({patient_name})" if patient_name else "")
    lines = [f"{TIER_LABELS.get(tier, tier)} · alert #{alert_id}", f"Patient {who}"]
    if procedure or pod is not None:
        lines.append(
            " · ".join(x for x in (procedure, f"POD {pod}" if pod is not None else None) if x)
        )
    for finding in findings:
        reason = finding["reason"].get(language) or next(iter(finding["reason"].values()), "")
        answers = ", ".join(f"{k} = {_value(v)}" for k, v in finding.get("answers", {}).items())
        lines.append(f"• {reason}" + (f" [{answers}]" if answers else "") + f" ({finding['rule']})")
    if footer:
        lines.append(footer)
    markup = None
    if can_acknowledge:
        markup = keyboard([[button("Acknowledge", f"{ACKNOWLEDGE}:{alert_id}")]])
    return message("\n".join(lines), markup)


def _value(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)
