"""What the care team sees of an alert in its group chat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.telegram.callbacks import Acknowledge, OpenConsole, Resolve, ResolveGraded, ResolveWith
from bot.telegram.render.correspondence import note_button
from bot.telegram.render.patient import Payload, button, keyboard, message
from flows import Finding

# Answers by item, as (POD, value) oldest first: pain and walking at the last check-ins.
Trend = dict[str, list[tuple[int, Any]]]
TREND_LABELS = {"pain_back": "back pain", "pain_leg": "leg pain", "walking": "walking"}

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
    findings: Sequence[Finding],
    trend: Trend | None = None,
    photos: int = 0,
    answered_by: frozenset[str] = frozenset(),
    footer: str | None = None,
    can_acknowledge: bool = False,
    can_resolve: bool = False,
    language: str = "en",
    console: dict[str, Any] | None = None,
) -> Payload:
    """Who, what fired and why, with the answers that fired it, the recent trend and the
    patient's photos; Acknowledge while nobody has, Resolve until someone does, and Add
    note always; then ``console``, the "Open console" button."""
    who = patient_ref + (f" ({patient_name})" if patient_name else "")
    lines = [f"{TIER_LABELS.get(tier, tier)} · alert #{alert_id}", f"Patient {who}"]
    if procedure or pod is not None:
        lines.append(
            " · ".join(x for x in (procedure, f"POD {pod}" if pod is not None else None) if x)
        )
    for finding in findings:
        reason = finding.reason.get(language) or next(iter(finding.reason.values()), "")
        # With their units (38.7 °C, 7/10, 4 days) when scoring gave them.
        answers = ", ".join(
            f"{k} = {finding.values.get(k) or _value(v)}" for k, v in finding.answers.items()
        )
        lines.append(f"• {reason}" + (f" [{answers}]" if answers else "") + f" ({finding.rule})")
    if by := answered_by_line(answered_by):
        lines.append(by)
    lines.extend(_trend_lines(trend or {}))
    if photos:
        lines.append(f"📷 {photos} photo{'s' if photos > 1 else ''} from the patient, below")
    if footer:
        lines.append(footer)
    actions = [button("Resolve", Resolve(alert_id))] if can_resolve else []
    if can_resolve and can_acknowledge:
        actions.insert(0, button("Acknowledge", Acknowledge(alert_id)))
    # A note for the record can be added to any alert, resolved or not.
    rows = [actions, [note_button(alert_id)], [console] if console else []]
    return message("\n".join(lines), keyboard([row for row in rows if row]))


CONSOLE_LABEL = "Open console"


def console_button(team_id: int, login_url: str | None) -> dict[str, Any]:
    """The "Open console" button of a team's card or digest. With the bot's domain set
    (``login_url``), Telegram signs the presser in itself (a LoginUrl button, asking leave
    for the bot to write to them); otherwise the bot is asked for a sign-in link in the
    presser's private chat. Neither carries a token: whoever reads the group could use it."""
    if login_url is None:
        return button(CONSOLE_LABEL, OpenConsole(team_id))
    return {"text": CONSOLE_LABEL, "login_url": {"url": login_url, "request_write_access": True}}


def answered_by_line(who: frozenset[str]) -> str | None:
    """Said only when a caregiver answered: the patient answering is the rule."""
    if "caregiver" not in who:
        return None
    if "patient" in who:
        return "👥 Answered by the patient and their caregiver"
    return "👥 Answered by the patient's caregiver, for them"


def _trend_lines(trend: Trend) -> list[str]:
    shown = [
        f"{TREND_LABELS.get(item, item)} "
        + " → ".join(f"{_value(value)} (POD {pod})" for pod, value in points)
        for item, points in trend.items()
        if points
    ]
    return ["Recent trend:", *(f"  {line}" for line in shown)] if shown else []


def _value(value: object) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value).replace("_", " ")


OUTCOMES = {
    "false_alarm": "False alarm",
    "advice_given": "Advice given",
    "clinic_visit": "Clinic visit",
    "emergency_department": "Emergency department",
    "readmitted": "Readmitted",
}
# Clavien–Dindo grades of a complication; "none" when the event was no complication.
GRADES = ("none", "I", "II", "IIIa", "IIIb", "IVa", "IVb", "V")


def outcome_choices(alert_id: int) -> dict[str, Any]:
    return keyboard(
        [[button(label, ResolveWith(alert_id, key))] for key, label in OUTCOMES.items()]
    )


def grade_choices(alert_id: int, outcome: str) -> dict[str, Any]:
    row = [
        button(g if g != "none" else "No complication", ResolveGraded(alert_id, outcome, g))
        for g in GRADES
    ]
    return keyboard([row[:1], row[1:4], row[4:]])
