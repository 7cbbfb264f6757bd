"""Conditions as data: what a rule fires on, or when a question is asked.

A condition is one of

- ``{item: temperature, at_least: 38.0}`` — compares today's answer;
- ``{change: pain_back, at_least: 2}`` — today's answer minus the answer at the previous
  check-in that asked the item;
- ``{rise: pain_back, days: 7, at_least: 2}`` — today's answer minus the lowest answer to the
  item at the check-ins of the previous ``days`` days (POD − days up to the day before);
- ``{previous: temperature, within_days: 3, at_least: 38.0}`` — the answer at the latest
  earlier check-in that answered the item (concern screens included), if that check-in was at
  most ``within_days`` days before this one (without ``within_days``: however long ago);
- ``{check_in: concern}`` — the kind of check-in (scheduled, evening, concern, extra);
- ``{domains: {at_least: 3, of: {pain: [pain_high, …], …}}}`` — the conditions of rules of at
  least this many of the named domains hold (a rule's condition, whether or not it is reported);
- ``{pod: {at_least: 4}}`` — the post-operative day of the check-in;
- ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}``;
- ``{missed: {pod_in: [0, 1]}}``, ``{missed: {in_a_row: 3}}`` or ``{missed: {first: 2}}`` —
  non-response (``first``: the check-in missed is one of the patient's first N daily
  check-ins: evening checks, concern screens and extra check-ins before it do not count);
- ``{milestones_behind: {check_ins: 2}}`` — behind on a recovery milestone at each of the
  last N check-ins that judged one.

Comparisons: ``equals``, ``not_equals``, ``in``, ``not_in``, ``at_least``, ``at_most``,
``above``, ``below``; exactly one per condition.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    model_validator,
)

from flows.schema.common import Identifier, PodList, Strict

Scalar = StrictBool | StrictInt | StrictFloat | StrictStr

# The comparisons in the order a reader expects them; the first three also work on words.
OPERATORS = ("equals", "not_equals", "in", "not_in", "at_least", "at_most", "above", "below")
ORDER_OPERATORS = frozenset({"at_least", "at_most", "above", "below"})


class Comparison(Strict):
    """Exactly one comparison against a value (or, for ``in``/``not_in``, a list of them)."""

    equals: Scalar | None = None
    not_equals: Scalar | None = None
    in_: Annotated[tuple[Scalar, ...], Field(min_length=1)] | None = Field(None, alias="in")
    not_in: Annotated[tuple[Scalar, ...], Field(min_length=1)] | None = None
    at_least: Scalar | None = None
    at_most: Scalar | None = None
    above: Scalar | None = None
    below: Scalar | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Comparison:
        given = [name for name in OPERATORS if self._value(name) is not None]
        if len(given) != 1:
            found = f"got {', '.join(given)}" if given else "got none"
            raise ValueError(f"give exactly one comparison of {', '.join(OPERATORS)} ({found})")
        return self

    def _value(self, operator: str) -> Any:
        return getattr(self, "in_" if operator == "in" else operator)

    @property
    def operator(self) -> str:
        return next(name for name in OPERATORS if self._value(name) is not None)

    @property
    def operand(self) -> Any:
        return self._value(self.operator)

    @property
    def operands(self) -> tuple[Any, ...]:
        """The value(s) compared against, always as a tuple."""
        value = self.operand
        return value if isinstance(value, tuple) else (value,)


class ItemIs(Comparison):
    item: Identifier


class ChangeIs(Comparison):
    change: Identifier = Field(description="Item whose rise (positive) or fall is compared")


class RiseIs(Comparison):
    rise: Identifier = Field(description="Item whose rise over its recent lowest is compared")
    days: Annotated[int, Field(ge=1, description="How many days back the lowest is looked for")]


class PreviousIs(Comparison):
    previous: Identifier = Field(description="Item whose answer at an earlier check-in is compared")
    within_days: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Only an answer at most this many days old counts"
    )


CheckInKindName = Literal["scheduled", "evening", "concern", "extra"]


class CheckInIs(Strict):
    check_in: CheckInKindName


class DomainsSpec(Strict):
    at_least: Annotated[int, Field(ge=1)]
    of: Annotated[
        dict[Identifier, Annotated[tuple[Identifier, ...], Field(min_length=1)]],
        Field(min_length=1, description="Domain name → the rules whose condition counts for it"),
    ]


class Domains(Strict):
    domains: DomainsSpec


class PodIs(Strict):
    pod: Comparison


class AllOf(Strict):
    all: Annotated[tuple[Condition, ...], Field(min_length=1)]


class AnyOf(Strict):
    any: Annotated[tuple[Condition, ...], Field(min_length=1)]


class NotThis(Strict):
    not_: Condition = Field(alias="not")


class MissedSpec(Strict):
    pod_in: PodList | None = None
    in_a_row: Annotated[int, Field(ge=1)] | None = None
    first: Annotated[int, Field(ge=1)] | None = Field(
        None, description="The check-in missed is one of the first N daily check-ins"
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> MissedSpec:
        given = [value for value in (self.pod_in, self.in_a_row, self.first) if value is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of pod_in, in_a_row or first")
        return self


class Missed(Strict):
    missed: MissedSpec


class BehindSpec(Strict):
    check_ins: Annotated[int, Field(ge=1)]


class MilestonesBehind(Strict):
    milestones_behind: BehindSpec


# The key that names each kind of condition, in the order they are looked for.
CONDITION_KINDS: dict[str, type[Strict]] = {
    "item": ItemIs,
    "change": ChangeIs,
    "rise": RiseIs,
    "previous": PreviousIs,
    "check_in": CheckInIs,
    "domains": Domains,
    "pod": PodIs,
    "all": AllOf,
    "any": AnyOf,
    "not": NotThis,
    "missed": Missed,
    "milestones_behind": MilestonesBehind,
}
_KIND_OF_MODEL = {model: kind for kind, model in CONDITION_KINDS.items()}


def condition_kind(value: Any) -> str | None:
    """Which kind of condition a mapping (or a parsed condition) is, by its naming key."""
    if isinstance(value, dict):
        return next((kind for kind in CONDITION_KINDS if kind in value), None)
    return _KIND_OF_MODEL.get(type(value))


Condition = Annotated[
    Annotated[ItemIs, Tag("item")]
    | Annotated[ChangeIs, Tag("change")]
    | Annotated[RiseIs, Tag("rise")]
    | Annotated[PreviousIs, Tag("previous")]
    | Annotated[CheckInIs, Tag("check_in")]
    | Annotated[Domains, Tag("domains")]
    | Annotated[PodIs, Tag("pod")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotThis, Tag("not")]
    | Annotated[Missed, Tag("missed")]
    | Annotated[MilestonesBehind, Tag("milestones_behind")],
    Discriminator(
        condition_kind,
        custom_error_type="condition_kind",
        custom_error_message="a condition needs one of the keys " + ", ".join(CONDITION_KINDS),
    ),
]

for _model in (AllOf, AnyOf, NotThis):
    _model.model_rebuild()


def subconditions(condition: Condition) -> tuple[Condition, ...]:
    """The conditions directly inside ``all``/``any``/``not``; empty for the others."""
    if isinstance(condition, AllOf):
        return condition.all
    if isinstance(condition, AnyOf):
        return condition.any
    if isinstance(condition, NotThis):
        return (condition.not_,)
    return ()
