"""Exports: FHIR R4 Questionnaire, and the JSON Schema shipped for editors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire  # R4B: the R4 models this package ships

import flows.protocols
from flows.editor_schema import protocol_json_schema, protocol_json_schema_text
from flows.fhir import to_fhir_questionnaire
from flows.schema import Protocol


def by_link(questionnaire: dict[str, object]) -> dict[str, dict[str, object]]:
    return {item["linkId"]: item for item in questionnaire["item"]}  # type: ignore[attr-defined,index]


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_protocol_exports_as_a_valid_fhir_questionnaire(spine: Protocol, language: str) -> None:
    exported = to_fhir_questionnaire(spine, language)
    questionnaire = Questionnaire.model_validate(exported)
    assert questionnaire.id == spine.id
    assert questionnaire.language == language
    assert [item.linkId for item in questionnaire.item] == [item.id for item in spine.items]


def test_pain_scales_carry_loinc_72514_3(miss: Protocol) -> None:
    items = by_link(to_fhir_questionnaire(miss, "en"))
    for pain in ("pain_back", "pain_leg"):
        assert items[pain]["type"] == "integer"
        assert items[pain]["code"] == [
            {
                "system": "http://loinc.org",
                "code": "72514-3",
                "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            }
        ]


def test_temperature_carries_loinc_8310_5_in_ucum_celsius(miss: Protocol) -> None:
    temperature = by_link(to_fhir_questionnaire(miss, "en"))["temperature"]
    assert temperature["type"] == "decimal"
    assert temperature["code"] == [
        {"system": "http://loinc.org", "code": "8310-5", "display": "Body temperature"}
    ]
    assert {
        "url": "http://hl7.org/fhir/StructureDefinition/questionnaire-unit",
        "valueCoding": {"system": "http://unitsofmeasure.org", "code": "Cel", "display": "°C"},
    } in temperature["extension"]  # type: ignore[operator]


def test_choices_carry_their_option_ids_and_ordinal_ranks(miss: Protocol) -> None:
    items = by_link(to_fhir_questionnaire(miss, "es"))
    assert items["bladder"]["answerOption"][0] == {
        "valueCoding": {"code": "normal", "display": "Normal"}
    }  # type: ignore[index]
    walking = items["walking"]["answerOption"][1]["valueCoding"]  # type: ignore[index]
    assert walking["code"] == "in_room"
    assert walking["extension"] == [
        {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 1}
    ]
    assert items["saddle_numbness"]["type"] == "boolean"
    assert items["wound_photo"]["type"] == "attachment"


def test_a_local_item_exports_its_own_code(hernia: Protocol) -> None:
    exported = to_fhir_questionnaire(hernia, "en")
    Questionnaire.model_validate(exported)
    items = by_link(exported)
    assert items["weight"]["code"][0]["code"] == "29463-7"  # type: ignore[index]
    assert "code" not in items["groin_pain"]
    assert items["pain_worse_with"]["type"] == "text"


def test_a_language_the_protocol_lacks_is_refused(miss: Protocol) -> None:
    with pytest.raises(ValueError, match="no 'fr' text"):
        to_fhir_questionnaire(miss, "fr")


def test_the_shipped_json_schema_is_the_generated_one() -> None:
    shipped = Path(flows.protocols.__file__).parent / "protocol.schema.json"
    assert shipped.read_text("utf-8") == protocol_json_schema_text(), (
        "regenerate it: eras protocol schema > flows/protocols/protocol.schema.json"
    )


def test_the_json_schema_describes_rules_and_forbids_unknown_keys() -> None:
    schema = protocol_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    rule = schema["$defs"]["Rule"]
    assert rule["additionalProperties"] is False
    assert set(rule["required"]) == {"id", "source", "tier", "when", "reason"}
    assert json.loads(protocol_json_schema_text()) == schema
