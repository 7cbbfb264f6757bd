"""A patient's follow-up as a FHIR R4 transaction Bundle (the pure part: records in, JSON out)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from flows.fhir import (
    AlertRecord,
    EpisodeRecord,
    PatientRecord,
    ResponseRecord,
    approach,
    patient_bundle,
    resource_id,
)
from flows.fhir.bundle import MUTABLE
from flows.findings import Finding
from flows.schema import Protocol
from flows.tiers import Tier

DEPLOYMENT = UUID("5b0c6f9e-9d1c-4a57-8f00-7a4c2d1e0b11")
NAMESPACE = DEPLOYMENT.bytes
AT = datetime(2026, 3, 3, 18, 0, tzinfo=UTC)
ANSWERS = {
    "pain_back": 7,
    "temperature": 38.4,
    "bladder": "normal",
    "walking": "indoors",
    "fell": False,
    "bowels_days": 2,
    "concern_words": "it hurts when I sit",
    "wound_photo": "a-file-id",
    "an_item_of_an_older_version": 3,
}


def episode(protocol: Protocol, **changes: Any) -> EpisodeRecord:
    fever = Finding(rule="fever", tier=Tier.AMBER, items=("temperature",), reason={"en": "Fever"})
    values: dict[str, Any] = {
        "id": 4,
        "protocol": protocol,
        "language": "en",
        "procedure": "MIS lumbar discectomy",
        "surgery_date": date(2026, 3, 2),
        "status": "active",
        "started": date(2026, 3, 1),
        "ended": None,
        "responses": (ResponseRecord(id=9, status="completed", authored=AT, answers=ANSWERS),),
        "alerts": (
            AlertRecord(9, Tier.AMBER, "resolved", AT, AT, (fever,), checkin_id=9),
            AlertRecord(10, Tier.RED_URGENT, "acknowledged", AT, AT, (), checkin_id=None),
            AlertRecord(11, Tier.RED_EMERGENCY, "open", AT, AT, ()),
        ),
    }
    return EpisodeRecord(**(values | changes))


def bundle_of(
    *episodes: EpisodeRecord, name: str | None = None, words: bool = True
) -> dict[str, Any]:
    return patient_bundle(PatientRecord(1, "P-001", name, episodes, words), NAMESPACE)


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_it_builds_a_transaction_bundle_whose_every_resource_parses(miss: Protocol) -> None:
    bundle = bundle_of(episode(miss))
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        kind = entry["resource"]["resourceType"]
        get_fhir_model_class(kind).model_validate(entry["resource"])
        search = f"identifier=urn:ietf:rfc:3986|{entry['fullUrl']}"
        if kind in MUTABLE:
            assert entry["request"] == {"method": "PUT", "url": f"{kind}?{search}"}
        else:
            assert entry["request"] == {"method": "POST", "url": kind, "ifNoneExist": search}
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds[:4] == ["Patient", "EpisodeOfCare", "Procedure", "Questionnaire"]
    assert kinds.count("Flag") == kinds.count("DetectedIssue") == kinds.count("Task") == 3


def test_what_the_follow_up_changes_is_updated_and_the_rest_created_once(
    miss: Protocol,
) -> None:
    methods = {
        e["resource"]["resourceType"]: e["request"]["method"]
        for e in bundle_of(episode(miss))["entry"]
    }
    assert {kind for kind, method in methods.items() if method == "PUT"} == {
        "EpisodeOfCare",
        "Procedure",
        "QuestionnaireResponse",
        "DetectedIssue",
        "Flag",
        "Task",
    }
    assert {kind for kind, method in methods.items() if method == "POST"} == {
        "Patient",
        "Questionnaire",
        "Observation",
    }


def test_identifiers_are_uuid5_of_the_namespace_and_the_record(miss: Protocol) -> None:
    first, second = bundle_of(episode(miss)), bundle_of(episode(miss))
    assert [e["fullUrl"] for e in first["entry"]] == [e["fullUrl"] for e in second["entry"]]
    assert first["entry"][0]["fullUrl"] == f"urn:uuid:{uuid5(DEPLOYMENT, 'Patient/1')}"
    assert resource_id(NAMESPACE, "Alert", 12) == str(uuid5(DEPLOYMENT, "Alert/12"))
    assert "P-001" not in "".join(e["fullUrl"] for e in first["entry"])


def test_a_name_appears_only_when_given(miss: Protocol) -> None:
    assert "name" not in resources(bundle_of(episode(miss)), "Patient")[0]
    named = resources(bundle_of(episode(miss), name="Maria"), "Patient")[0]
    assert named["name"] == [{"text": "Maria"}]


def test_answers_keep_their_item_ids_and_types_but_never_a_photo(miss: Protocol) -> None:
    response = resources(bundle_of(episode(miss)), "QuestionnaireResponse")[0]
    answers = {item["linkId"]: item["answer"][0] for item in response["item"]}
    assert answers == {
        "pain_back": {"valueInteger": 7},
        "temperature": {"valueDecimal": 38.4},
        "bladder": {"valueCoding": {"code": "normal"}},
        "walking": {"valueCoding": {"code": "indoors"}},
        "fell": {"valueBoolean": False},
        "bowels_days": {"valueInteger": 2},
        "concern_words": {"valueString": "it hurts when I sit"},
    }


def test_the_patients_own_words_go_out_only_when_asked_for_like_names(miss: Protocol) -> None:
    response = resources(bundle_of(episode(miss), words=False), "QuestionnaireResponse")[0]
    linked = [item["linkId"] for item in response["item"]]
    assert "concern_words" not in linked and "pain_back" in linked


def test_pain_and_temperature_become_observations_derived_from_the_response(
    miss: Protocol,
) -> None:
    bundle = bundle_of(episode(miss))
    response_url = next(
        e["fullUrl"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    pain, temperature = resources(bundle, "Observation")
    assert pain["code"]["coding"][0]["code"] == "72514-3"
    assert pain["category"][0]["coding"][0]["code"] == "survey"
    assert pain["valueInteger"] == 7
    assert temperature["code"]["coding"][0]["code"] == "8310-5"
    assert temperature["category"][0]["coding"][0]["code"] == "vital-signs"
    assert temperature["valueQuantity"] | {} == {
        "value": 38.4,
        "unit": "°C",
        "system": "http://unitsofmeasure.org",
        "code": "Cel",
    }
    assert pain["derivedFrom"] == temperature["derivedFrom"] == [{"reference": response_url}]


def test_an_alert_is_a_flag_an_issue_with_its_rules_and_a_task_that_follows_it(
    miss: Protocol,
) -> None:
    bundle = bundle_of(episode(miss))
    issues = resources(bundle, "DetectedIssue")
    assert [i["code"]["coding"][0]["code"] for i in issues] == [
        "amber",
        "red_urgent",
        "red_emergency",
    ]
    (fever,) = issues[0]["evidence"]
    assert fever["code"][0]["coding"][0]["code"] == "fever"
    assert fever["code"][0]["text"] == "Fever"
    assert fever["detail"][0]["reference"].startswith("urn:uuid:")
    assert issues[1]["evidence"] == []
    assert [t["status"] for t in resources(bundle, "Task")] == [
        "completed",
        "in-progress",
        "requested",
    ]
    assert [f["status"] for f in resources(bundle, "Flag")] == ["inactive", "active", "active"]


def test_the_procedure_says_the_approach_of_the_pathway(
    miss: Protocol, open_lumbar: Protocol
) -> None:
    assert approach(miss) == "MISS"
    assert approach(open_lumbar) == "open"
    assert approach(miss.model_copy(update={"id": "knee-replacement"})) is None
    procedure = resources(bundle_of(episode(miss)), "Procedure")[0]
    assert procedure["category"]["coding"][0]["code"] == "MISS"
    assert procedure["performedDateTime"] == "2026-03-02"
    other = miss.model_copy(update={"id": "knee-replacement"})
    unnamed = resources(bundle_of(episode(other, procedure=None)), "Procedure")[0]
    assert "category" not in unnamed
    assert unnamed["code"] == {"text": miss.title}


@pytest.mark.parametrize("status", ["completed", "withdrawn"])
def test_an_ended_follow_up_has_an_end(miss: Protocol, status: str) -> None:
    ended = episode(miss, status=status, ended=date(2026, 4, 1), responses=(), alerts=())
    care = resources(bundle_of(ended), "EpisodeOfCare")[0]
    assert care["status"] == "finished"
    assert care["period"] == {"start": "2026-03-01", "end": "2026-04-01"}


def test_two_episodes_on_one_pathway_share_its_questionnaire(miss: Protocol) -> None:
    bundle = bundle_of(episode(miss), episode(miss, id=5, responses=(), alerts=()))
    assert len(resources(bundle, "Questionnaire")) == 1
    assert len(resources(bundle, "EpisodeOfCare")) == 2
