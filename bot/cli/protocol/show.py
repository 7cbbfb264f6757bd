"""``eras protocol show``: a protocol as a reviewer reads it, in plain text.

Without a POD: which questions are asked on which day (a grid), every question with its
answers, then rules, milestones, response targets and advice. With a POD: that day's
check-in as the patient meets it, one numbered question after another.
"""

from __future__ import annotations

import re

from bot.protocols.review import ProtocolReview, pods, review
from bot.protocols.sources import LoadedProtocol
from flows import CheckInKind, Protocol
from flows.agenda import agenda
from flows.describe import describe
from flows.schema import (
    ChoiceItem,
    IntegerItem,
    Item,
    NrsItem,
    NumberItem,
    OrdinalItem,
    Source,
    YesNoItem,
)
from flows.schema.items import accepted_range
from flows.schema.wording import Wording
from flows.units import symbol

LOCAL = "  [local]"


def _local(source: Source) -> str:
    return LOCAL if source is Source.LOCAL else ""


def _marked(local: bool) -> str:
    return LOCAL if local else ""


def render(loaded: LoadedProtocol, pod: int | None, lang: str) -> str:
    protocol = loaded.protocol
    reviewed = review(loaded, lang)
    origin = "shipped" if loaded.shipped else "file"
    lines = [
        f"{protocol.id}  version {protocol.version}  ({origin} {loaded.source}, "
        f"sha256 {loaded.sha256[:12]}…)",
        protocol.title,
        f"Procedures: {'; '.join(protocol.procedures)}",
        f"Languages: {', '.join(protocol.languages)}   (shown: {lang})",
        f"Entries marked {LOCAL.strip()} are this protocol's own choices; the rest is the "
        "clinical core.",
        "",
        *_schedule(reviewed),
        "",
        *(_day(protocol, pod, lang) if pod is not None else _grid(reviewed)),
        "",
        *([] if pod is not None else _questions(protocol, lang)),
        *_rules(reviewed),
        "",
        *_milestones(reviewed, pod),
        "",
        *_targets(reviewed),
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _schedule(reviewed: ProtocolReview) -> list[str]:
    return [
        f"SCHEDULE{_marked(reviewed.schedule_local)}",
        *(f"  {sentence}{_marked(local)}" for sentence, local in reviewed.schedule),
    ]


def _grid(reviewed: ProtocolReview) -> list[str]:
    """Which question is asked on which day: one row per question, one column per check-in."""
    width = max(len(row.item.id) for row in reviewed.grid)
    header = " ".join(f"{column.label:>4}" for column in reviewed.columns)
    lines = [
        "QUESTIONS BY DAY  (0e: POD 0 evening check; eve: discharge-day evening check; "
        "help: a concern)",
        f"  {'':{width}} {header}",
    ]
    for row in reviewed.grid:
        marks = " ".join(f"{'●' if asked else '·':>4}" for asked in row.asked)
        lines.append(f"  {row.item.id:{width}} {marks}")
    return lines


def _answers(item: Item, lang: str) -> list[str]:
    """How an item is answered, as indented lines."""
    if isinstance(item, ChoiceItem | OrdinalItem):
        width = max(len(option.id) for option in item.options)
        return [
            f"       {option.id:{width}}  {option.label[lang]}"
            + (f"  (= {option.value})" if option.value is not None else "")
            for option in item.options
        ]
    if isinstance(item, YesNoItem):
        return [f"       yes / no; concerning: {'yes' if item.concerning else 'no'}"]
    if isinstance(item, NrsItem | IntegerItem | NumberItem):
        accepted = accepted_range(item)
        span = accepted.words()
        if isinstance(item, NumberItem):
            low, high = (f"{v:.{item.decimals}f}" for v in (accepted.min, accepted.max))
            span = f"{low}–{high} {symbol(item.unit)}"
        words = f"       {span}, worse when {item.worse.value}"
        if isinstance(item, NumberItem):
            words += "".join(
                f"; {c.read_between.words()} read as {symbol(c.from_unit)}"
                for c in item.conversions
            )
        return [words]
    return [f"       a {item.type}"]


def _as_read(text: str, wording: Wording) -> str:
    """A text as the patient reads it, ``{since}`` filled in as at a later check-in (the
    first check-in at home names leaving hospital instead)."""
    if "{since}" not in text or not wording.dates:
        return text
    return text.replace("{since}", str(wording.since_last_check_in).format(date="…")) + (
        f"  [at the first check-in: {wording.since_leaving_hospital}]"
    )


def _question(item: Item, protocol: Protocol, lang: str, number: str) -> list[str]:
    extras = ", skippable" if item.skippable else ""
    lines = [f"  {number}{item.id} ({item.type}{extras}){_local(item.source)}"]
    lines.append(f"       {_as_read(item.question[lang], protocol.wordings[lang])}")
    if item.ask_if is not None:
        lines.append(f"       asked only when {describe(item.ask_if)}")
    return lines + _answers(item, lang)


def _questions(protocol: Protocol, lang: str) -> list[str]:
    lines = [f"QUESTIONS ({len(protocol.items)})"]
    for item in protocol.items:
        lines += _question(item, protocol, lang, "")
    return [*lines, ""]


def _day(protocol: Protocol, pod: int, lang: str) -> list[str]:
    schedule = protocol.schedule
    kinds = [(CheckInKind.SCHEDULED, f"POD {pod} CHECK-IN at {schedule.time}")]
    evening = schedule.same_day_discharge_evening
    if pod == 0 and evening is not None:
        kinds.insert(0, (CheckInKind.EVENING, f"POD 0 EVENING CHECK at {evening.time}"))
    home = schedule.discharge_evening
    if home is not None:
        title = f"DISCHARGE-DAY EVENING CHECK at {home.time}, if the patient goes home on POD {pod}"
        kinds.insert(0, (CheckInKind.EVENING, title))
    lines: list[str] = []
    for kind, title in kinds:
        items = agenda(protocol, pod, kind)
        if items:
            lines += [f"{title} ({lang})", *_day_questions(protocol, items, lang), ""]
    if not lines:
        lines = [f"No check-in on POD {pod} (check-ins on POD {pods(schedule.check_ins)})", ""]
    notes = [note for note in protocol.education if pod in note.pods]
    if notes:
        lines.append("NOTE FOR THE PATIENT")
        lines += [f"  {note.text[lang]}{_local(note.source)}" for note in notes] + [""]
    return lines


def _day_questions(protocol: Protocol, items: tuple[str, ...], lang: str) -> list[str]:
    lines: list[str] = []
    shown: set[str] = set()
    number = 0
    for item_id in items:
        if item_id in shown:
            continue
        number += 1
        group = next((g for g in protocol.groups if item_id in g.items), None)
        members = [i for i in items if group is not None and i in group.items]
        if group is None or len(members) < 2:
            lines += _question(protocol.item(item_id), protocol, lang, f"{number}. ")
            continue
        shown.update(members)
        wording = protocol.wordings[lang]
        lines.append(f"  {number}. [{group.id}] {group.prompt[lang]}{_local(group.source)}")
        for member in members:
            grouped = protocol.item(member)
            assert isinstance(grouped, YesNoItem) and grouped.statement is not None
            lines.append(f"       - {_as_read(grouped.statement[lang], wording)}  ({member})")
        lines.append(
            f"       buttons: {wording.none_of_these} / {wording.some_of_these} "
            "(then each is asked)"
        )
    return lines


def _rules(reviewed: ProtocolReview) -> list[str]:
    rules = [rule for _, lines in reviewed.rules for rule in lines]
    width = max(len(rule.id) for rule in rules)
    lines = [f"RULES ({len(rules)}): the check-in's tier is the highest that fires"]
    for tier, tier_rules in reviewed.rules:
        lines.append(f"  {tier.value}")
        for rule in tier_rules:
            unless = f"  (unless {', '.join(rule.unless)} fired)" if rule.unless else ""
            lines.append(f"    {rule.id:{width}}  {rule.when}{unless}{_marked(rule.local)}")
            lines.append(f"    {'':{width}}  → {rule.reason}")
    return lines


def _milestones(reviewed: ProtocolReview, pod: int | None) -> list[str]:
    if not reviewed.milestones:
        return ["MILESTONES: none"]
    width = max(len(m.id) for m in reviewed.milestones)
    lines = ["MILESTONES" + (f" (✓ due by POD {pod})" if pod is not None else "")]
    for milestone in reviewed.milestones:
        due = "✓ " if pod is not None and milestone.from_pod <= pod else "  "
        lines.append(
            f"  {due}{milestone.id:{width}}  from POD {milestone.from_pod:<3} "
            f"{milestone.expected}{_marked(milestone.local)}"
        )
    return lines


def _targets(reviewed: ProtocolReview) -> list[str]:
    lines = ["RESPONSE TARGETS"]
    lines += [
        f"  {target.tier.value:13}  {target.words}{_marked(target.local)}"
        for target in reviewed.targets
    ]
    lines += ["", f"PATIENT ADVICE ({reviewed.lang}){_marked(reviewed.advice_local)}"]
    lines += [f"  {tier.value:13}  {text}" for tier, text in reviewed.advice]
    return lines
