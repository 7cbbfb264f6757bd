"""Questions: what is asked, how it may be answered, and which answer is the worse one."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from flows.schema.common import Identifier, Range, SourceField, Strict, Text
from flows.schema.conditions import Comparison, Condition


class Worse(StrEnum):
    """Which direction of a scale is clinically worse (used by trends and property tests)."""

    HIGHER = "higher"
    LOWER = "lower"


class Option(Strict):
    id: Identifier
    label: Text
    value: int | None = Field(None, description="Ordinal items only: the option's rank")


class Coding(Strict):
    """A code for exports, e.g. LOINC."""

    system: str
    code: str
    display: str | None = None


class BaseItem(Strict):
    id: Identifier
    source: SourceField
    question: Text
    skippable: bool = False
    ask_if: Condition | None = Field(
        None, description="Asked only when this holds (about earlier answers or the POD)"
    )
    code: Coding | None = Field(None, description="Export code for a local item")


class NrsItem(BaseItem):
    """A 0–10 numeric rating scale."""

    type: Literal["nrs"]
    worse: Worse = Worse.HIGHER


class YesNoItem(BaseItem):
    type: Literal["yes_no"]
    concerning: StrictBool = Field(description="The worrying answer: yes or no")
    statement: Text | None = Field(
        None, description="The worrying answer as a phrase, to list it in a group"
    )


class ChoiceItem(BaseItem):
    """Options are listed from normal to worst."""

    type: Literal["choice"]
    options: Annotated[tuple[Option, ...], Field(min_length=2)]


class OrdinalItem(BaseItem):
    """A choice whose options carry ranks (``value``), listed from lowest to highest."""

    type: Literal["ordinal"]
    options: Annotated[tuple[Option, ...], Field(min_length=2)]
    worse: Worse


class Conversion(Strict):
    """Replies in ``read_between`` are taken to be in ``from_unit`` and converted."""

    from_unit: str
    read_between: Range


class Confirm(Comparison):
    """A reading that holds this comparison is asked once more (``ask``) before it counts;
    the second reading is the answer."""

    ask: Text


class NumberItem(BaseItem):
    type: Literal["number"]
    unit: str = Field(description="UCUM code, e.g. Cel")
    range: Range
    decimals: Annotated[int, Field(ge=0, le=3)] = 1
    conversions: tuple[Conversion, ...] = ()
    worse: Worse
    confirm: Confirm | None = None


class IntegerItem(BaseItem):
    type: Literal["integer"]
    range: Range
    unit: str | None = None
    worse: Worse


class PhotoItem(BaseItem):
    type: Literal["photo"]


class TextItem(BaseItem):
    type: Literal["text"]


Item = Annotated[
    NrsItem
    | YesNoItem
    | ChoiceItem
    | OrdinalItem
    | NumberItem
    | IntegerItem
    | PhotoItem
    | TextItem,
    Field(discriminator="type"),
]
OptionItem = ChoiceItem | OrdinalItem
ScaleItem = NrsItem | NumberItem | IntegerItem
ITEM_TYPES = ("nrs", "yes_no", "choice", "ordinal", "number", "integer", "photo", "text")

NRS_RANGE = Range(min=0, max=10)


def accepted_range(item: ScaleItem) -> Range:
    return NRS_RANGE if isinstance(item, NrsItem) else item.range


class Group(Strict):
    """Yes/no questions shown together, answerable at once with "none of these"."""

    id: Identifier
    source: SourceField
    prompt: Text
    items: Annotated[tuple[Identifier, ...], Field(min_length=2)]
