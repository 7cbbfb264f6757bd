"""The timeline text: every check-in and alert in order, within one Telegram message."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.telegram.render.timeline import (
    MAX_MESSAGE,
    AlertEntry,
    CheckInEntry,
    Timeline,
    timeline_text,
)

DAY_ONE = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def check_in(pod: int, status: str = "answered", tier: str | None = "green") -> CheckInEntry:
    due = DAY_ONE + timedelta(days=pod - 1)
    return CheckInEntry(pod, "scheduled", due, status, tier, None)


def alert(number: int, **changes: object) -> AlertEntry:
    fields: dict[str, object] = {
        "id": number,
        "tier": "amber",
        "opened": DAY_ONE + timedelta(hours=number),
        "status": "open",
        "rules": ["pain_high"],
        "acknowledged_by": None,
        "resolved_by": None,
        "outcome": None,
        "clavien_dindo": None,
    }
    return AlertEntry(**{**fields, **changes})  # type: ignore[arg-type]


def timeline(check_ins: list[CheckInEntry], alerts: list[AlertEntry]) -> Timeline:
    return Timeline(
        ref="P-001",
        procedure="MIS-TLIF",
        surgery_date=date(2026, 3, 2),
        pod_today=3,
        episode_status="active",
        protocol="spine-miss-lumbar@1",
        protocol_title="Lumbar spine surgery, minimally invasive (MIS) pathway",
        timezone="UTC",
        check_ins=check_ins,
        alerts=alerts,
    )


def test_a_short_episode_is_shown_whole() -> None:
    text = timeline_text(timeline([check_in(1), check_in(2, "missed", None)], []))
    assert text == (
        "P-001 · MIS-TLIF\n"
        "Surgery 2026-03-02 · POD 3 today · episode active\n"
        "Protocol spine-miss-lumbar@1 — Lumbar spine surgery, minimally invasive (MIS) pathway\n"
        "Times are the patient's local time (UTC).\n"
        "\n"
        "Check-ins (2):\n"
        "POD 1 · Tue 03 Mar 09:00 · answered · green\n"
        "POD 2 · Wed 04 Mar 09:00 · missed\n"
        "\n"
        "Alerts (0):\n"
        "none"
    )


def test_a_resolved_alert_says_who_acted_and_how_it_ended() -> None:
    resolved = alert(
        4,
        tier="red_urgent",
        status="resolved",
        rules=["wound_bleeding", "pain_high", "fever", "calf_dvt"],
        acknowledged_by="Ana",
        resolved_by="Ben",
        outcome="emergency_department",
        clavien_dindo="IIIb",
    )
    (line,) = timeline_text(timeline([], [resolved])).splitlines()[-1:]
    assert line == (
        "#4 red_urgent · opened Tue 03 Mar 13:00 · resolved · acknowledged by Ana · "
        "resolved by Ben · outcome: Emergency department (Clavien–Dindo IIIb) · "
        "wound_bleeding, pain_high, fever, +1 more"
    )


def test_a_long_episode_fits_one_message_and_keeps_the_most_recent() -> None:
    check_ins = [check_in(pod) for pod in range(1, 201)]
    alerts = [alert(n, status="resolved", outcome="false_alarm") for n in range(1, 81)]

    text = timeline_text(timeline(check_ins, alerts))

    assert len(text) <= MAX_MESSAGE
    lines = text.splitlines()
    assert "Check-ins (200):" in lines and "Alerts (80):" in lines
    shown_check_ins = [line for line in lines if line.startswith("POD ")]
    shown_alerts = [line for line in lines if line.startswith("#")]
    left_out = 200 - len(shown_check_ins)
    assert f"… {left_out} earlier check-ins not shown" in lines
    assert f"… {80 - len(shown_alerts)} earlier alerts not shown" in lines
    assert shown_check_ins[-1].startswith("POD 200 ·")
    assert shown_check_ins[0].startswith(f"POD {left_out + 1} ·")
    assert shown_alerts[-1].startswith("#80 ")
