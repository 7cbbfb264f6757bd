"""Items and groups: unique ids, sound scales, and core items that keep their core meaning."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flows.checks.conditions import ASK_IF_KINDS, check_condition
from flows.core_items import CORE_ITEMS, CoreItem
from flows.issues import Problem, unknown
from flows.schema.common import Source
from flows.schema.items import (
    IntegerItem,
    Item,
    NrsItem,
    NumberItem,
    OptionItem,
    OrdinalItem,
    ScaleItem,
    YesNoItem,
    accepted_range,
)
from flows.schema.protocol import Protocol
from flows.units import CONVERSIONS
from flows.yaml_source import Path

# Questions and their options are answered with buttons whose data carries these ids, and a
# button carries at most 64 bytes: two ids of this length fit beside a check-in's number.
BUTTON_ID_MAX = 24


def duplicates(
    ids: Iterable[str], where: Path, what: str, taken: Iterable[str] = ()
) -> Iterator[Problem]:
    """A problem at every entry of the list at ``where`` that repeats an id (or takes one of
    ``taken``)."""
    seen = set(taken)
    for index, ident in enumerate(ids):
        if ident in seen:
            yield Problem((*where, index, "id"), f"{what} id {ident!r} is used twice")
        seen.add(ident)


def too_long(ids: Iterable[str], where: Path, what: str) -> Iterator[Problem]:
    """A problem at every entry of the list at ``where`` whose id a button cannot carry."""
    for index, ident in enumerate(ids):
        if len(ident) > BUTTON_ID_MAX:
            yield Problem(
                (*where, index, "id"),
                f"{what} id {ident!r} is longer than {BUTTON_ID_MAX} characters "
                "(it travels on the buttons that answer it)",
            )


def check_items(protocol: Protocol) -> Iterator[Problem]:
    yield from duplicates((item.id for item in protocol.items), ("items",), "item")
    yield from too_long((item.id for item in protocol.items), ("items",), "item")
    asked_before: set[str] = set()
    for index, item in enumerate(protocol.items):
        path: Path = ("items", index)
        yield from _check_scale(item, path)
        yield from _check_core(item, path)
        if item.ask_if is not None:
            yield from check_condition(
                protocol,
                item.ask_if,
                (*path, "ask_if"),
                kinds=ASK_IF_KINDS,
                known_items=frozenset(asked_before),
            )
        asked_before.add(item.id)


def _check_scale(item: Item, path: Path) -> Iterator[Problem]:
    if isinstance(item, OptionItem):
        yield from duplicates((o.id for o in item.options), (*path, "options"), "option")
        yield from too_long((o.id for o in item.options), (*path, "options"), "option")
        ranks = [option.value for option in item.options if option.value is not None]
        if isinstance(item, OrdinalItem):
            if len(ranks) < len(item.options):
                yield Problem((*path, "options"), "every option of an ordinal item needs a value")
            elif ranks != sorted(set(ranks)):
                yield Problem((*path, "options"), "list ordinal options by rising value")
        elif ranks:
            yield Problem((*path, "options"), "only ordinal items give options a value")
    if isinstance(item, NumberItem):
        for number, conversion in enumerate(item.conversions):
            where = (*path, "conversions", number)
            if (conversion.from_unit, item.unit) not in CONVERSIONS:
                known = [f"{a} → {b}" for a, b in CONVERSIONS]
                yield Problem(
                    where,
                    f"no conversion from {conversion.from_unit!r} to {item.unit!r} "
                    f"(known: {', '.join(known)})",
                )
            band = conversion.read_between
            if band.min <= item.range.max and item.range.min <= band.max:
                yield Problem(
                    where,
                    f"replies {band.words()} would be ambiguous: they overlap the accepted "
                    f"range {item.range.words()}",
                )


def _check_core(item: Item, path: Path) -> Iterator[Problem]:
    core = CORE_ITEMS.get(item.id)
    if item.source is Source.LOCAL:
        if core is not None:
            yield Problem(
                (*path, "source"),
                f"{item.id!r} is a core item id: declare source: core, or use another id "
                "for a local item",
            )
        return
    if core is None:
        yield Problem((*path, "id"), unknown("core item", item.id, list(CORE_ITEMS)))
        return
    for difference in _core_differences(item, core):
        yield Problem(path, f"as a core item, {difference}")


def _core_differences(item: Item, core: CoreItem) -> Iterator[str]:
    if item.type != core.type:
        yield f"its type must be {core.type}"
        return
    if isinstance(item, OptionItem):
        options = tuple(option.id for option in item.options)
        if options != core.options:
            yield f"its options must be {', '.join(core.options)}, in this order"
        ranks = tuple(option.value for option in item.options)
        if core.ranks and ranks != core.ranks:
            yield f"its option values must be {', '.join(map(str, core.ranks))}"
    if isinstance(item, NrsItem | NumberItem | IntegerItem):
        yield from _scale_differences(item, core)
    if isinstance(item, YesNoItem) and item.concerning != core.concerning:
        yield f"concerning must be {'yes' if core.concerning else 'no'}"
    if core.skippable and not item.skippable:
        yield "it must be skippable"
    if item.code is not None and item.code != core.code:
        yield "its export code comes from the core dictionary: remove code"


def _scale_differences(item: ScaleItem, core: CoreItem) -> Iterator[str]:
    accepted = accepted_range(item)
    if core.range is not None and (accepted.min, accepted.max) not in (
        core.range,
        *core.earlier_ranges,
    ):
        yield f"its range must be {core.range[0]:g}–{core.range[1]:g}"
    if isinstance(item, NumberItem) and item.unit != core.unit:
        yield f"its unit must be {core.unit}"
    if item.worse != core.worse:
        yield f"worse must be {core.worse}"


def check_groups(protocol: Protocol) -> Iterator[Problem]:
    yield from duplicates(
        (group.id for group in protocol.groups), ("groups",), "group", protocol.items_by_id
    )
    yield from too_long((group.id for group in protocol.groups), ("groups",), "group")
    grouped: dict[str, str] = {}
    for index, group in enumerate(protocol.groups):
        for number, member in enumerate(group.items):
            path: Path = ("groups", index, "items", number)
            item = protocol.items_by_id.get(member)
            if item is None:
                yield Problem(path, unknown("item", member, list(protocol.items_by_id)))
                continue
            if not isinstance(item, YesNoItem):
                yield Problem(path, f"{member!r} is a {item.type} item; groups hold yes/no items")
            elif item.statement is None:
                yield Problem(path, f"{member!r} needs a statement: to be listed in a group")
            if item.ask_if is not None:
                yield Problem(path, f"{member!r} has ask_if; grouped items are asked together")
            if member in grouped:
                yield Problem(path, f"{member!r} is already in group {grouped[member]!r}")
            grouped[member] = group.id
