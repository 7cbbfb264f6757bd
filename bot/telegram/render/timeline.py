"""A patient's episode as their care team reads it in Telegram: check-ins and alerts in order.

Plain text (no parse mode: a reference or a procedure may hold any character), at most one
Telegram message long; the oldest entries give way first, and the text says how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.telegram.render.team import OUTCOMES

MAX_MESSAGE = 4096  # Telegram's limit for a message's text
SHOWN_RULES = 3  # an alert's rules past this many are counted, not named
WHEN = "%a %d %b %H:%M"


@dataclass(frozen=True)
class CheckInEntry:
    pod: int
    kind: str  # scheduled, evening, concern, extra
    due: datetime  # in the patient's time zone
    status: str  # answered, answered late, missed, pending…, cancelled
    tier: str | None
    recovery_score: int | None


@dataclass(frozen=True)
class AlertEntry:
    id: int
    tier: str
    opened: datetime  # in the patient's time zone
    status: str  # open, acknowledged, resolved
    rules: Sequence[str]
    acknowledged_by: str | None
    resolved_by: str | None
    outcome: str | None
    clavien_dindo: str | None


@dataclass(frozen=True)
class Timeline:
    ref: str
    procedure: str | None
    surgery_date: date
    pod_today: int
    episode_status: str
    protocol: str  # id@version
    protocol_title: str
    timezone: str
    check_ins: Sequence[CheckInEntry]
    alerts: Sequence[AlertEntry]


def timeline_text(timeline: Timeline, limit: int = MAX_MESSAGE) -> str:
    head = [
        " · ".join(x for x in (timeline.ref, timeline.procedure) if x),
        f"Surgery {timeline.surgery_date.isoformat()} · POD {timeline.pod_today} today"
        f" · episode {timeline.episode_status}",
        f"Protocol {timeline.protocol} — {timeline.protocol_title}",
        f"Times are the patient's local time ({timeline.timezone}).",
    ]
    sections = [
        _Section("check-ins", [_check_in(c) for c in timeline.check_ins]),
        _Section("alerts", [_alert(a) for a in timeline.alerts]),
    ]
    text = _join(head, sections)
    while len(text) > limit and any(s.lines for s in sections):
        # The longer list gives up its oldest entry: the recent past is what a nurse needs.
        longest = max(sections, key=lambda s: len(s.lines))
        longest.lines.pop(0)
        longest.left_out += 1
        text = _join(head, sections)
    return text[:limit]


@dataclass
class _Section:
    name: str
    lines: list[str]
    left_out: int = 0

    def render(self) -> list[str]:
        total = len(self.lines) + self.left_out
        out = [f"{self.name.capitalize()} ({total}):"]
        if self.left_out:
            out.append(f"… {self.left_out} earlier {self.name} not shown")
        return out + (self.lines or ([] if self.left_out else ["none"]))


def _join(head: list[str], sections: list[_Section]) -> str:
    blocks = ["\n".join(head), *("\n".join(section.render()) for section in sections)]
    return "\n\n".join(blocks)


def _check_in(entry: CheckInEntry) -> str:
    kind = "" if entry.kind == "scheduled" else f" ({entry.kind})"
    parts = [f"POD {entry.pod}{kind}", entry.due.strftime(WHEN), entry.status]
    if entry.tier is not None:
        parts.append(entry.tier)
    if entry.recovery_score is not None:
        parts.append(f"recovery {entry.recovery_score}%")
    return " · ".join(parts)


def _alert(entry: AlertEntry) -> str:
    rules = list(entry.rules[:SHOWN_RULES])
    if len(entry.rules) > SHOWN_RULES:
        rules.append(f"+{len(entry.rules) - SHOWN_RULES} more")
    parts = [f"#{entry.id} {entry.tier}", f"opened {entry.opened.strftime(WHEN)}", entry.status]
    if entry.acknowledged_by:
        parts.append(f"acknowledged by {entry.acknowledged_by}")
    if entry.resolved_by:
        parts.append(f"resolved by {entry.resolved_by}")
    if entry.outcome:
        outcome = OUTCOMES.get(entry.outcome, entry.outcome)
        grade = f" (Clavien–Dindo {entry.clavien_dindo})" if entry.clavien_dindo else ""
        parts.append(f"outcome: {outcome}{grade}")
    if rules:
        parts.append(", ".join(rules))
    return " · ".join(parts)
