"""The protocol file format as pydantic models (what is allowed; cross-checks live elsewhere)."""

from flows.schema.common import Range, Source
from flows.schema.conditions import Comparison, Condition, ItemIs
from flows.schema.items import (
    ChoiceItem,
    Group,
    IntegerItem,
    Item,
    NrsItem,
    NumberItem,
    Option,
    OrdinalItem,
    PhotoItem,
    TextItem,
    Worse,
    YesNoItem,
)
from flows.schema.protocol import Advice, Education, Escalation, Milestone, Protocol, Rule
from flows.schema.schedule import Schedule

__all__ = [
    "Advice",
    "ChoiceItem",
    "Comparison",
    "Condition",
    "Education",
    "Escalation",
    "Group",
    "IntegerItem",
    "Item",
    "ItemIs",
    "Milestone",
    "NrsItem",
    "NumberItem",
    "Option",
    "OrdinalItem",
    "PhotoItem",
    "Protocol",
    "Range",
    "Rule",
    "Schedule",
    "Source",
    "TextItem",
    "Worse",
    "YesNoItem",
]
