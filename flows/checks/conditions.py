"""Conditions must name real items and options and compare them in ways that make sense."""

from __future__ import annotations

from collections.abc import Iterator

from flows.compiled import rules_counted
from flows.issues import Problem, did_you_mean, unknown
from flows.schema.common import Range
from flows.schema.conditions import (
    ORDER_OPERATORS,
    ChangeIs,
    Comparison,
    Condition,
    Domains,
    ItemIs,
    MilestonesBehind,
    PodIs,
    PreviousIs,
    RiseIs,
    condition_kind,
    subconditions,
)
from flows.schema.items import (
    ChoiceItem,
    Item,
    OrdinalItem,
    PhotoItem,
    TextItem,
    YesNoItem,
    accepted_range,
)
from flows.schema.protocol import Protocol
from flows.yaml_source import Path

# What ``ask_if`` may look at: the answers before the question, the day, and earlier answers.
ASK_IF_KINDS = frozenset({"item", "previous", "pod", "all", "any", "not"})


def check_condition(
    protocol: Protocol,
    condition: Condition,
    path: Path,
    *,
    kinds: frozenset[str] | None = None,
    known_items: frozenset[str] | None = None,
) -> Iterator[Problem]:
    """Problems in ``condition`` and everything inside it.

    ``kinds`` limits the kinds of condition allowed; ``known_items`` the items it may name
    (with a different message, for questions that are not asked yet).
    """
    kind = condition_kind(condition)
    if kinds is not None and kind not in kinds:
        yield Problem(path, f"{kind!r} cannot be used here; use one of {', '.join(sorted(kinds))}")
        return
    if isinstance(condition, ItemIs):
        yield from _check_item_comparison(protocol, condition, condition.item, path, known_items)
    elif isinstance(condition, ChangeIs):
        yield from _check_change(protocol, condition, condition.change, path)
    elif isinstance(condition, RiseIs):
        yield from _check_change(protocol, condition, condition.rise, path)
    elif isinstance(condition, PreviousIs):
        yield from _check_item_comparison(protocol, condition, condition.previous, path, None)
    elif isinstance(condition, Domains):
        yield from _check_domains(protocol, condition, path)
    elif isinstance(condition, PodIs):
        yield from _check_numbers(condition.pod, (*path, "pod"), "POD")
    elif isinstance(condition, MilestonesBehind) and not protocol.milestones:
        yield Problem(path, "milestones_behind needs milestones, and this protocol has none")
    for index, inner in enumerate(subconditions(condition)):
        inner_path = (*path, kind, index) if kind in ("all", "any") else (*path, "not")
        yield from check_condition(
            protocol, inner, inner_path, kinds=kinds, known_items=known_items
        )


def _find_item(
    protocol: Protocol, item_id: str, path: Path, known_items: frozenset[str] | None
) -> tuple[Item | None, Problem | None]:
    item = protocol.items_by_id.get(item_id)
    if item is None:
        return None, Problem(path, unknown("item", item_id, list(protocol.items_by_id)))
    if known_items is not None and item_id not in known_items:
        return None, Problem(path, f"item {item_id!r} is asked later, so it cannot decide this")
    return item, None


def _check_item_comparison(
    protocol: Protocol,
    comparison: Comparison,
    item_id: str,
    path: Path,
    known_items: frozenset[str] | None,
) -> Iterator[Problem]:
    item, problem = _find_item(protocol, item_id, path, known_items)
    if problem is not None:
        yield problem
    if item is None:
        return
    operator = comparison.operator
    if isinstance(item, PhotoItem | TextItem):
        yield Problem(path, f"item {item_id!r} is a {item.type}: it cannot be compared")
    elif isinstance(item, YesNoItem):
        if operator in ORDER_OPERATORS or not all(
            isinstance(value, bool) for value in comparison.operands
        ):
            yield Problem(path, f"item {item_id!r} is yes/no: use equals: yes or equals: no")
    elif isinstance(item, ChoiceItem | OrdinalItem):
        yield from _check_options(item, comparison, path)
    else:
        yield from _check_numbers(comparison, path, f"item {item_id!r}", accepted_range(item))


def _check_options(
    item: ChoiceItem | OrdinalItem, comparison: Comparison, path: Path
) -> Iterator[Problem]:
    if isinstance(item, ChoiceItem) and comparison.operator in ORDER_OPERATORS:
        yield Problem(
            path,
            f"item {item.id!r} is a choice without ranks: use in: [...] rather than "
            f"{comparison.operator}",
        )
        return
    options = [option.id for option in item.options]
    for value in comparison.operands:
        if not isinstance(value, str) or value not in options:
            word = f"option {value!r}" if isinstance(value, str) else f"value {value!r}"
            yield Problem(
                path,
                f"item {item.id!r} has no {word}"
                + (did_you_mean(value, options) if isinstance(value, str) else "")
                + f" (options: {', '.join(options)})",
            )


def _check_change(
    protocol: Protocol, change: Comparison, item_id: str, path: Path
) -> Iterator[Problem]:
    item, problem = _find_item(protocol, item_id, path, None)
    if problem is not None:
        yield problem
    elif isinstance(item, ChoiceItem | YesNoItem | PhotoItem | TextItem):
        yield Problem(path, f"item {item_id!r} is a {item.type}: it has no size to change")
    else:
        yield from _check_numbers(change, path, "a change")


def _check_domains(protocol: Protocol, condition: Domains, path: Path) -> Iterator[Problem]:
    spec = condition.domains
    rule_ids = [rule.id for rule in protocol.rules]
    if spec.at_least > len(spec.of):
        yield Problem(
            (*path, "domains", "at_least"),
            f"at least {spec.at_least} of {len(spec.of)} domains can never hold",
        )
    counting = {rule.id for rule in protocol.rules if rules_counted(rule.when)}
    for domain, rules in spec.of.items():
        for number, rule_id in enumerate(rules):
            where = (*path, "domains", "of", domain, number)
            if rule_id not in rule_ids:
                yield Problem(where, unknown("rule", rule_id, rule_ids))
            elif rule_id in counting:
                yield Problem(
                    where, f"rule {rule_id!r} counts domains itself: it cannot be counted"
                )


def _check_numbers(
    comparison: Comparison, path: Path, what: str, accepted: Range | None = None
) -> Iterator[Problem]:
    for value in comparison.operands:
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield Problem(path, f"{what} is compared with a number, not {value!r}")
        elif accepted is not None and value not in accepted:
            yield Problem(
                path,
                f"threshold {value:g} is outside the accepted range of {what} ({accepted.words()})",
            )
