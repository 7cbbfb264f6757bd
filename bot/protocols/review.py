"""A protocol as a reviewer reads it: which question is asked on which day, the schedule's
windows, the rules by tier with the condition each checks and where it comes from, the
milestones, the response targets and the advice. ``eras protocol show`` prints it; the
console's protocols page draws it.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.protocols.sources import LoadedProtocol
from flows import CheckInKind, Protocol, Tier
from flows.agenda import agenda
from flows.describe import describe
from flows.schema import Item, Source


@dataclass(frozen=True)
class Column:
    """One check-in of the grid: "1" for POD 1, "eve" for the discharge-day evening…"""

    label: str
    pod: int
    kind: CheckInKind


@dataclass(frozen=True)
class ItemRow:
    item: Item
    asked: tuple[bool, ...]  # one per column

    @property
    def local(self) -> bool:
        return self.item.source is Source.LOCAL


@dataclass(frozen=True)
class RuleLine:
    id: str
    when: str  # the condition, in words
    unless: tuple[str, ...]  # rules whose firing silences this one
    reason: str  # in the language asked for
    local: bool


@dataclass(frozen=True)
class MilestoneLine:
    id: str
    from_pod: int
    expected: str
    local: bool


@dataclass(frozen=True)
class TargetLine:
    tier: Tier
    words: str  # e.g. "acknowledge within 1 h, contact within 2 h"
    local: bool


@dataclass(frozen=True)
class ProtocolReview:
    loaded: LoadedProtocol
    lang: str
    schedule_local: bool  # the schedule as a whole is this protocol's own choice
    schedule: tuple[tuple[str, bool], ...]  # (a sentence, a local choice of its own)
    columns: tuple[Column, ...]
    grid: tuple[ItemRow, ...]
    rules: tuple[tuple[Tier, tuple[RuleLine, ...]], ...]  # the most urgent tier first
    milestones: tuple[MilestoneLine, ...]  # by the day they start
    targets: tuple[TargetLine, ...]
    advice: tuple[tuple[Tier, str], ...]
    advice_local: bool

    @property
    def protocol(self) -> Protocol:
        return self.loaded.protocol


def review(loaded: LoadedProtocol, lang: str) -> ProtocolReview:
    """``lang`` must be one of the protocol's languages."""
    protocol = loaded.protocol
    columns = _columns(protocol)
    asked = [set(agenda(protocol, c.pod, c.kind)) for c in columns]
    return ProtocolReview(
        loaded=loaded,
        lang=lang,
        schedule_local=protocol.schedule.source is Source.LOCAL,
        schedule=_schedule(protocol),
        columns=columns,
        grid=tuple(
            ItemRow(item, tuple(item.id in day for day in asked)) for item in protocol.items
        ),
        rules=tuple(
            (tier, lines) for tier in reversed(Tier) if (lines := _rules(protocol, tier, lang))
        ),
        milestones=tuple(
            MilestoneLine(m.id, m.from_pod, describe(m.expect), m.source is Source.LOCAL)
            for m in sorted(protocol.milestones, key=lambda m: m.from_pod)
        ),
        targets=_targets(protocol),
        advice=tuple((tier, protocol.advice.text(tier)[lang]) for tier in reversed(Tier)),
        advice_local=protocol.advice.source is Source.LOCAL,
    )


def pods(days: tuple[int, ...]) -> str:
    """1, 2, 3, 4, 7 → "1–4, 7"."""
    runs: list[list[int]] = []
    for pod in days:
        if runs and pod == runs[-1][-1] + 1:
            runs[-1].append(pod)
        else:
            runs.append([pod])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)


def minutes(count: int) -> str:
    return f"{count // 60} h" if count % 60 == 0 else f"{count} min"


def _schedule(protocol: Protocol) -> tuple[tuple[str, bool], ...]:
    schedule = protocol.schedule
    lines = [
        (
            f"Check-ins at {schedule.time} (patient's local time) on POD "
            f"{pods(schedule.check_ins)}",
            False,
        ),
        (
            f"Reminder {schedule.reminder_after_hours:g} h after, missed "
            f"{schedule.missed_after_hours:g} h after; "
            f"quiet hours {schedule.quiet_hours.start}–{schedule.quiet_hours.end}",
            False,
        ),
    ]
    evening = schedule.same_day_discharge_evening
    if evening is not None:
        lines.append(
            (
                f"POD 0 evening check at {evening.time} when the patient goes home on the "
                "day of surgery",
                evening.source is Source.LOCAL,
            )
        )
    home = schedule.discharge_evening
    if home is not None:
        lines.append(
            (
                f"Discharge-day evening check at {home.time} (reminder "
                f"{home.reminder_after_hours:g} h after, missed {home.missed_after_hours:g} h "
                "after)",
                home.source is Source.LOCAL,
            )
        )
    if schedule.home_days_only:
        lines.append(
            ("Check-ins start the day after discharge (days in hospital are not asked)", False)
        )
    lines.append((f"A concern (/help) asks: {', '.join(schedule.concern)}", False))
    return tuple(lines)


def _columns(protocol: Protocol) -> tuple[Column, ...]:
    columns = [Column(str(p), p, CheckInKind.SCHEDULED) for p in protocol.schedule.check_ins]
    if protocol.schedule.same_day_discharge_evening is not None:
        columns.insert(0, Column("0e", 0, CheckInKind.EVENING))
    elif protocol.schedule.discharge_evening is not None:
        columns.insert(0, Column("eve", 0, CheckInKind.EVENING))
    columns.append(Column("help", 0, CheckInKind.CONCERN))
    return tuple(columns)


def _rules(protocol: Protocol, tier: Tier, lang: str) -> tuple[RuleLine, ...]:
    return tuple(
        RuleLine(
            rule.id,
            describe(rule.when),
            tuple(rule.unless_fired),
            rule.reason[lang],
            rule.source is Source.LOCAL,
        )
        for rule in protocol.rules
        if rule.tier is tier
    )


def _targets(protocol: Protocol) -> tuple[TargetLine, ...]:
    lines = []
    for tier in reversed(Tier):
        target = protocol.escalation.target(tier)
        if target is None:
            continue
        words = f"acknowledge within {minutes(target.acknowledge_within_minutes)}"
        if target.daytime_only:
            words += " (daytime)"
        if target.contact_within_minutes is not None:
            words += f", contact within {minutes(target.contact_within_minutes)}"
        lines.append(TargetLine(tier, words, target.source is Source.LOCAL))
    return tuple(lines)
