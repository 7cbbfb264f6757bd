"""Building blocks shared by every part of a protocol file."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)


class Strict(BaseModel):
    """Unknown keys are errors (a typo must not silently drop a rule) and models are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(StrEnum):
    """Where an entry comes from, so a reviewer sees what is the hospital's own choice."""

    CORE = "core"  # the project's clinical core dictionary and default rules
    LOCAL = "local"  # a choice of this protocol's authors


Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$"),
    Field(description="Lower-case letters, digits and underscores, starting with a letter"),
]
ProtocolId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")]
LocalTime = Annotated[
    str,
    StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
    Field(description="Local wall-clock time, HH:MM (24 h)"),
]

Text = Annotated[
    dict[LanguageCode, Annotated[str, StringConstraints(min_length=1)]],
    Field(description="The same text in every language of the protocol"),
]

SourceField = Annotated[
    Source, Field(description="core: from the clinical core; local: this protocol's choice")
]

_POD_SPAN = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def _expand_pods(value: Any) -> Any:
    """Turn "1-7" into 1, 2, …, 7 so a nurse can write ranges; the result is sorted."""
    if not isinstance(value, list):
        return value
    pods: set[Any] = set()
    for entry in value:
        span = _POD_SPAN.match(entry) if isinstance(entry, str) else None
        if span is None:
            pods.add(entry)
            continue
        first, last = int(span.group(1)), int(span.group(2))
        if first > last:
            raise ValueError(f"POD range {entry!r} runs backwards")
        pods.update(range(first, last + 1))
    if all(isinstance(pod, int) and not isinstance(pod, bool) for pod in pods):
        return sorted(pods)
    return list(value)  # let the type check name the odd entry


PodList = Annotated[
    tuple[Annotated[int, Field(ge=0)], ...],
    BeforeValidator(_expand_pods),
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 1,
            "items": {
                "anyOf": [
                    {"type": "integer", "minimum": 0},
                    {"type": "string", "pattern": r"^\d+-\d+$"},
                ]
            },
            "description": "Post-operative days: numbers, or ranges such as '1-7'",
        }
    ),
    Field(min_length=1),
]


class Range(Strict):
    """Accepted values, both ends included."""

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        return self

    def __contains__(self, value: float) -> bool:
        return self.min <= value <= self.max

    def words(self) -> str:
        return f"{self.min:g}–{self.max:g}"
