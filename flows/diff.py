"""What changed between two versions of a protocol, in sentences a reviewer can sign off.

E.g. "rule 'fever_late': threshold 38.0 → 38.5", "item 'calf' added",
"schedule: POD 42 check-in added", "schedule: POD 10 now also asks 'calf'".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows.agenda import CheckInKind, agenda
from flows.describe import describe
from flows.schema.conditions import Condition
from flows.schema.protocol import Protocol

# Fields holding a condition: reported as a threshold change or in words, not as data.
_CONDITIONS = frozenset({"when", "expect", "ask_if"})


def diff_protocols(old: Protocol, new: Protocol) -> list[str]:
    changes: list[str] = []
    for name in ("id", "version", "title", "procedures", "languages", "wording"):
        changes += _value_changes(name, _dump(getattr(old, name)), _dump(getattr(new, name)))
    for section, kind in (("items", "item"), ("groups", "group"), ("rules", "rule")):
        changes += _entry_changes(kind, getattr(old, section), getattr(new, section))
    changes += _entry_changes("milestone", old.milestones, new.milestones)
    changes += _schedule_changes(old, new)
    changes += _value_changes("advice", _dump(old.advice), _dump(new.advice))
    changes += _education_changes(old, new)
    changes += _value_changes("escalation", _dump(old.escalation), _dump(new.escalation))
    return changes


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, tuple | list):
        return [_dump(entry) for entry in value]
    return value


def _words(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_words(entry) for entry in value) or "(none)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_words(v)}" for key, v in value.items()) + "}"
    if isinstance(value, str) and " " in value:
        return repr(value)  # a text: quoted, so a reviewer sees exactly where it starts and ends
    return str(value)


def _value_changes(label: str, old: Any, new: Any) -> list[str]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        changes = []
        for key in [*old, *(key for key in new if key not in old)]:
            if key not in new:
                changes.append(f"{label}: {key} removed")
            elif key not in old:
                changes.append(f"{label}: {key} added")
            else:
                changes += _value_changes(_join(label, key), old[key], new[key])
        return changes
    if isinstance(old, list) and isinstance(new, list) and _all_have_ids(old + new):
        return _id_list_changes(label, old, new)
    return [f"{label}: {_words(old)} → {_words(new)}"]


def _join(label: str, key: str) -> str:
    # Texts are keyed by language: "question (es)" reads better than "question.es".
    return f"{label} ({key})" if len(key) == 2 else f"{label}.{key}"


def _all_have_ids(entries: list[Any]) -> bool:
    return bool(entries) and all(isinstance(entry, dict) and "id" in entry for entry in entries)


def _id_list_changes(label: str, old: list[Any], new: list[Any]) -> list[str]:
    before = {entry["id"]: entry for entry in old}
    after = {entry["id"]: entry for entry in new}
    changes = [f"{label}: {ident!r} removed" for ident in before if ident not in after]
    changes += [f"{label}: {ident!r} added" for ident in after if ident not in before]
    for ident in before.keys() & after.keys():
        changes += _value_changes(f"{label} {ident!r}", before[ident], after[ident])
    if [i for i in before if i in after] != [i for i in after if i in before]:
        changes.append(f"{label}: order changed")
    return sorted(changes) if len(changes) > 1 else changes


def _entry_changes(kind: str, old: Sequence[Any], new: Sequence[Any]) -> list[str]:
    before = {entry.id: entry for entry in old}
    after = {entry.id: entry for entry in new}
    changes = [f"{kind} {ident!r} removed" for ident in before if ident not in after]
    changes += [f"{kind} {ident!r} added" for ident in after if ident not in before]
    for ident, entry in after.items():
        if ident not in before or entry == before[ident]:
            continue
        label = f"{kind} {ident!r}"
        was = _dump(before[ident])
        now = _dump(entry)
        for field in [*was, *(key for key in now if key not in was)]:
            if field in _CONDITIONS:
                old_condition = getattr(before[ident], field)
                changes += _condition_changes(label, old_condition, getattr(entry, field))
            else:
                changes += _value_changes(f"{label}: {field}", was.get(field), now.get(field))
    return changes


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for key in data for leaf in _leaves(data[key], (*path, key))]
    if isinstance(data, list):
        return [leaf for index, v in enumerate(data) for leaf in _leaves(v, (*path, index))]
    return [(path, data)]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _condition_changes(label: str, old: Condition | None, new: Condition | None) -> list[str]:
    if old == new:
        return []
    if old is not None and new is not None:
        was, now = _leaves(_dump(old)), _leaves(_dump(new))
        same_shape = [path for path, _ in was] == [path for path, _ in now]
        moved = [(a, b) for (_, a), (_, b) in zip(was, now, strict=False) if a != b]
        if same_shape and all(_is_number(a) and _is_number(b) for a, b in moved):
            return [f"{label}: threshold {a} → {b}" for a, b in moved]
    old_words = describe(old) if old is not None else "(none)"
    new_words = describe(new) if new is not None else "(none)"
    return [f"{label}: condition {old_words} → {new_words}"]


def _schedule_changes(old: Protocol, new: Protocol) -> list[str]:
    a, b = old.schedule, new.schedule
    changes = [
        f"schedule: POD {pod} check-in removed" for pod in a.check_ins if pod not in b.check_ins
    ]
    changes += [
        f"schedule: POD {pod} check-in added" for pod in b.check_ins if pod not in a.check_ins
    ]
    for name in ("source", "time", "reminder_after_hours", "missed_after_hours", "quiet_hours"):
        changes += _value_changes(
            f"schedule: {name}", _dump(getattr(a, name)), _dump(getattr(b, name))
        )
    kept = [pod for pod in b.check_ins if pod in a.check_ins]
    slots = [(f"POD {pod}", pod, CheckInKind.SCHEDULED) for pod in kept]
    slots += [
        ("the POD 0 evening check", 0, CheckInKind.EVENING),
        ("a concern", 0, CheckInKind.CONCERN),
    ]
    for name, pod, kind in slots:
        was, now = agenda(old, pod, kind), agenda(new, pod, kind)
        added = [item for item in now if item not in was]
        dropped = [item for item in was if item not in now]
        if added:
            changes.append(f"schedule: {name} now also asks {', '.join(map(repr, added))}")
        if dropped:
            changes.append(f"schedule: {name} no longer asks {', '.join(map(repr, dropped))}")
    ev_a, ev_b = a.same_day_discharge_evening, b.same_day_discharge_evening
    if ev_a is not None and ev_b is not None:
        changes += _value_changes("schedule: evening check time", ev_a.time, ev_b.time)
    elif ev_a != ev_b:
        changes.append(f"schedule: POD 0 evening check {'added' if ev_b else 'removed'}")
    return changes


def _education_changes(old: Protocol, new: Protocol) -> list[str]:
    """Notes have no ids: they are compared day by day."""

    def by_day(protocol: Protocol) -> dict[int, list[Any]]:
        days: dict[int, list[Any]] = {}
        for note in protocol.education:
            for pod in note.pods:
                days.setdefault(pod, []).append(_dump(note))
        return days

    before, after = by_day(old), by_day(new)
    changes = []
    for pod in sorted(before.keys() | after.keys()):
        if pod not in after:
            changes.append(f"education: POD {pod} note removed")
        elif pod not in before:
            changes.append(f"education: POD {pod} note added")
        elif before[pod] != after[pod]:
            changes.append(f"education: POD {pod} note changed")
    return changes
