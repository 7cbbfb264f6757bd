"""A protocol: the whole of one pathway's follow-up, as one reviewable file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Self, TypeVar

from pydantic import Field, StrictStr, StringConstraints

from flows.schema.common import (
    Identifier,
    LanguageCode,
    PodList,
    ProtocolId,
    SourceField,
    Strict,
    Text,
)
from flows.schema.conditions import Condition, ItemIs
from flows.schema.items import Group, Item
from flows.schema.schedule import Schedule
from flows.schema.wording import Wording, wording_for
from flows.tiers import Tier

T = TypeVar("T")


class Basis(StrEnum):
    LOCAL_DEFAULT = "local-default"  # a starting value for the hospital to review


class RuleAdvice(Strict):
    """What the patient can do meanwhile; ``citation`` or ``basis`` says where it comes from."""

    text: Text
    citation: Annotated[str, StringConstraints(min_length=1)] | None = None
    basis: Basis | None = None


class Rule(Strict):
    id: Identifier
    source: SourceField
    tier: Tier
    when: Condition
    reason: Text = Field(description="Why this matters, as shown to nurses")
    unless_fired: tuple[Identifier, ...] = Field(
        (), description="Not reported when the condition of any of these rules holds"
    )
    alone: bool = Field(False, description="Reported only when no other rule is reported")
    shows: tuple[Identifier, ...] = Field(
        (), description="Items whose answers the finding carries (e.g. the patient's words)"
    )
    advice: RuleAdvice | None = Field(
        None, description="A short self-care line for the patient when this rule fires"
    )


class Milestone(Strict):
    """What a patient on this pathway is expected to have reached from a given POD.

    ``source`` says who owns it; ``citation`` or ``basis`` where its value comes from."""

    id: Identifier
    source: SourceField
    from_pod: Annotated[int, Field(ge=0)]
    expect: ItemIs
    citation: Annotated[str, StringConstraints(min_length=1)] | None = None
    basis: Basis | None = None


class Advice(Strict):
    """What the patient is told after a check-in, by tier. ``{emergency_number}`` is filled
    in with the site's number when the message is rendered."""

    source: SourceField
    green: Text
    amber: Text
    red_urgent: Text
    red_emergency: Text
    safety_net: Text | None = Field(
        None,
        description="Ends every amber and red_urgent reply: the signs that mean calling "
        "{emergency_number} now",
    )

    def text(self, tier: Tier) -> Text:
        return {
            Tier.GREEN: self.green,
            Tier.AMBER: self.amber,
            Tier.RED_URGENT: self.red_urgent,
            Tier.RED_EMERGENCY: self.red_emergency,
        }[tier]


class Education(Strict):
    """A short note for the patient on these PODs."""

    pods: PodList
    text: Text
    source: SourceField


class ResponseTarget(Strict):
    acknowledge_within_minutes: Annotated[int, Field(gt=0)]
    contact_within_minutes: Annotated[int, Field(gt=0)] | None = None
    daytime_only: bool = Field(False, description="The target applies in daytime hours")
    source: SourceField


class Escalation(Strict):
    """Default response targets per tier; a care team's chain is set up outside the file."""

    amber: ResponseTarget
    red_urgent: ResponseTarget
    red_emergency: ResponseTarget

    def target(self, tier: Tier) -> ResponseTarget | None:
        return {
            Tier.AMBER: self.amber,
            Tier.RED_URGENT: self.red_urgent,
            Tier.RED_EMERGENCY: self.red_emergency,
        }.get(tier)


WordingOverride = dict[
    Annotated[str, StringConstraints(min_length=1)], StrictStr | tuple[StrictStr, ...]
]


class Protocol(Strict):
    id: ProtocolId
    version: Annotated[StrictStr, StringConstraints(min_length=1)]
    title: Annotated[str, StringConstraints(min_length=1)]
    procedures: Annotated[tuple[str, ...], Field(min_length=1)]
    languages: Annotated[tuple[LanguageCode, ...], Field(min_length=1)]
    wording: dict[LanguageCode, WordingOverride] = Field(
        {}, description="Changes to the built-in buttons and hints, per language"
    )
    items: Annotated[tuple[Item, ...], Field(min_length=1)]
    groups: tuple[Group, ...] = ()
    schedule: Schedule
    rules: Annotated[tuple[Rule, ...], Field(min_length=1)]
    milestones: tuple[Milestone, ...] = ()
    advice: Advice
    education: tuple[Education, ...] = ()
    escalation: Escalation

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with changes; what was derived from this protocol is derived anew."""
        copy = super().model_copy(update=update, deep=deep)
        for name in _DERIVED:
            copy.__dict__.pop(name, None)
        return copy

    @cached_property
    def items_by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    @cached_property
    def groups_by_id(self) -> dict[str, Group]:
        return {group.id: group for group in self.groups}

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError names it when there is none."""
        return self.items_by_id[item_id]

    def derived(self, make: Callable[[Protocol], T]) -> T:
        """What ``make`` builds from this protocol, built on first use and kept with it.

        For the modules built on these models (the compiler), which they do not import.
        """
        kept: dict[Callable[[Protocol], Any], Any] = self.__dict__.setdefault("derived_by", {})
        if make not in kept:
            kept[make] = make(self)
        found: T = kept[make]
        return found

    @cached_property
    def wordings(self) -> dict[str, Wording]:
        """Buttons and hints per language: the built-in ones with this protocol's changes."""
        return {lang: wording_for(lang, self.wording.get(lang, {})) for lang in self.languages}


# What Protocol keeps of what it derived from its fields on first use.
_DERIVED = ("items_by_id", "groups_by_id", "wordings", "derived_by")
