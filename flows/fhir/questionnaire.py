"""A protocol's questions as a FHIR R4 Questionnaire.

Item ``linkId`` is the item id. Pain scales carry LOINC 72514-3 and temperature LOINC 8310-5
with the UCUM unit Cel (from the core dictionary); local items carry their own ``code``.
Option codes are the option ids, without a code system (they are this protocol's own).
When an item is asked (days, ``ask_if``) is the schedule's business and is not exported.
"""

from __future__ import annotations

from typing import Any

from flows.core_items import CORE_ITEMS, UCUM
from flows.schema.common import Source
from flows.schema.items import (
    ChoiceItem,
    Coding,
    IntegerItem,
    Item,
    NrsItem,
    NumberItem,
    OrdinalItem,
    PhotoItem,
    TextItem,
    YesNoItem,
    accepted_range,
)
from flows.schema.protocol import Protocol
from flows.units import symbol

EXTENSION = "http://hl7.org/fhir/StructureDefinition/"
_TYPES = {
    NrsItem: "integer",
    IntegerItem: "integer",
    NumberItem: "decimal",
    YesNoItem: "boolean",
    ChoiceItem: "choice",
    OrdinalItem: "choice",
    PhotoItem: "attachment",
    TextItem: "text",
}


def to_fhir_questionnaire(protocol: Protocol, language: str) -> dict[str, Any]:
    if language not in protocol.languages:
        raise ValueError(
            f"{protocol.id} has no {language!r} text ({', '.join(protocol.languages)})"
        )
    return {
        "resourceType": "Questionnaire",
        "id": protocol.id,
        "version": protocol.version,
        "name": "".join(part.capitalize() for part in protocol.id.split("-")),
        "title": protocol.title,
        "status": "active",
        "language": language,
        "item": [_item(item, language) for item in protocol.items],
    }


def fhir_coding(coding: Coding) -> dict[str, Any]:
    return coding.model_dump(exclude_none=True)


def export_code(item: Item) -> Coding | None:
    if item.source is Source.CORE and item.id in CORE_ITEMS:
        return CORE_ITEMS[item.id].code
    return item.code


def _item(item: Item, language: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "linkId": item.id,
        "text": item.question[language],
        "type": _TYPES[type(item)],
    }
    code = export_code(item)
    if code is not None:
        entry["code"] = [fhir_coding(code)]
    extensions: list[dict[str, Any]] = []
    if isinstance(item, NrsItem | IntegerItem | NumberItem):
        accepted = accepted_range(item)
        kind = "valueDecimal" if isinstance(item, NumberItem) else "valueInteger"
        convert = float if isinstance(item, NumberItem) else int
        extensions += [
            {"url": EXTENSION + "minValue", kind: convert(accepted.min)},
            {"url": EXTENSION + "maxValue", kind: convert(accepted.max)},
        ]
    if isinstance(item, NumberItem):
        unit = {"system": UCUM, "code": item.unit, "display": symbol(item.unit)}
        extensions.append({"url": EXTENSION + "questionnaire-unit", "valueCoding": unit})
    if extensions:
        entry["extension"] = extensions
    if isinstance(item, ChoiceItem | OrdinalItem):
        entry["answerOption"] = [
            {"valueCoding": _option(option.id, option.label[language], option.value)}
            for option in item.options
        ]
    return entry


def _option(code: str, display: str, rank: int | None) -> dict[str, Any]:
    coding: dict[str, Any] = {"code": code, "display": display}
    if rank is not None:
        coding["extension"] = [{"url": EXTENSION + "ordinalValue", "valueDecimal": rank}]
    return coding
