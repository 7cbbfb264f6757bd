"""``eras export fhir`` on a demo-like journey: a patient with check-ins and an alert that was
acknowledged and resolved, exported as FHIR R4 transaction Bundles."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from bot.exports.fhir import (
    ACTION,
    InvalidResource,
    Scope,
    UnknownScope,
    bundles,
    checked,
    open_export,
)
from bot.sandbox import Person
from db.models import AuditEntry
from tests.fixtures.journey import SURGERY, Journey, buttons, local

NAMESPACE = UUID("0f6f5a52-3d0e-4f39-9a0c-1b2f8a7c9e10")
NAME = "Zebulonia Frimblewick"


async def _checkin(journey: Journey, patient: Person) -> None:
    """POD 3: every question answered with its first button, the bladder amber (the team
    is told)."""
    await journey.at(local(SURGERY + timedelta(days=3), 9, "Europe/Madrid"))
    for _ in range(40):
        last = journey.last(patient)
        if "photo of your wound" in last.get("text", ""):
            journey.sandbox.send_photo(patient, b"\x89PNG not really a wound")
            await journey.settle()
        elif journey.question_id(patient) == "bladder":
            await journey.answer(patient, "difficult")
        elif journey.question_id(patient) is not None:
            await journey.press(patient, buttons(last)[0][1])
        elif last.get("text", "").startswith("Thank you"):
            return
        else:
            await journey.type(patient, "1")
    raise AssertionError(f"the check-in did not end: {journey.texts(patient)[-3:]}")


async def _acknowledge_and_resolve(journey: Journey, nurse: Person) -> None:
    for label in ("Acknowledge", "Resolve", "Clinic visit", "I"):
        card = journey.card()
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(nurse, card, data, chat=journey.ward)
        await journey.settle()


async def _export(journey: Journey, scope: Scope) -> list[dict[str, Any]]:
    runtime = journey.runtime
    export = await open_export(runtime.sessions, scope, now=journey.clock.now(), actor="cli:test")
    stream = bundles(runtime.sessions, runtime.catalogue, export, NAMESPACE, batch=2)
    return [bundle async for bundle in stream]


@pytest.fixture
async def followed(journey: Journey) -> Journey:
    ana = await journey.staff_member("Ana")
    patient, _ = await journey.enrolled_patient(display_name=NAME)
    await _checkin(journey, patient)
    await _acknowledge_and_resolve(journey, ana)
    return journey


def _kinds(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["resourceType"] for entry in bundle["entry"]]


async def test_it_exports_a_transaction_bundle_whose_every_resource_parses(
    followed: Journey,
) -> None:
    (bundle,) = await _export(followed, Scope(patient_ref="P-001"))
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    kinds = _kinds(bundle)
    assert bundle["type"] == "transaction"
    for kind in ("Patient", "EpisodeOfCare", "Procedure", "Questionnaire"):
        assert kinds.count(kind) == 1
    assert kinds.count("QuestionnaireResponse") >= 1
    assert {"Flag", "DetectedIssue", "Task", "Observation"} <= set(kinds)
    task = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Task")
    assert task["status"] == "completed"
    observations = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    ]
    assert [(o["code"]["text"], o["valueInteger"]) for o in observations] == [
        ("pain_back", 0),
        ("pain_leg", 0),
    ]
    issue = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DetectedIssue"
    )
    rules = [e["code"][0]["coding"][0]["code"] for e in issue["evidence"]]
    assert rules and all(rule for rule in rules)
    assert any("bladder" in rule for rule in rules), rules


async def test_exporting_twice_gives_the_same_identifiers(followed: Journey) -> None:
    first = await _export(followed, Scope())
    second = await _export(followed, Scope())
    assert [e["fullUrl"] for b in first for e in b["entry"]] == [
        e["fullUrl"] for b in second for e in b["entry"]
    ]


def _of_kind(exported: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for b in exported for e in b["entry"] if e["resource"]["resourceType"] == kind]


async def test_a_re_export_carries_the_alert_acknowledged_and_resolved_since(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana")
    patient, _ = await journey.enrolled_patient(display_name=NAME)
    await _checkin(journey, patient)
    before = await _export(journey, Scope(patient_ref="P-001"))
    await _acknowledge_and_resolve(journey, ana)
    after = await _export(journey, Scope(patient_ref="P-001"))

    assert [e["fullUrl"] for b in before for e in b["entry"]] == [
        e["fullUrl"] for b in after for e in b["entry"]
    ]
    for entry in [e for b in after for e in b["entry"]]:
        get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    (task_before,) = _of_kind(before, "Task")
    (task_after,) = _of_kind(after, "Task")
    assert task_before["resource"]["status"] == "requested"
    assert task_after["resource"]["status"] == "completed"
    assert [f["resource"]["status"] for f in _of_kind(before + after, "Flag")] == [
        "active",
        "inactive",
    ]
    # A server that has the Task from the first export is told to update it, on the same
    # identifier, rather than to keep its old copy.
    identifier = task_after["resource"]["identifier"][0]
    assert task_after["request"] == {
        "method": "PUT",
        "url": f"Task?identifier={identifier['system']}|{identifier['value']}",
    }
    assert identifier["value"] == task_after["fullUrl"]


async def test_a_name_appears_only_with_names_asked_for(followed: Journey) -> None:
    without = json.dumps(await _export(followed, Scope(team="Spine")))
    assert "Zebulonia" not in without
    with_names = await _export(followed, Scope(team="Spine", with_names=True))
    assert "Zebulonia" in json.dumps(with_names)


async def test_a_team_gives_one_bundle_a_patient_read_in_batches(followed: Journey) -> None:
    for ref in ("P-002", "P-003"):
        await followed.enrol(ref)
    exported = await _export(followed, Scope(team="Spine"))
    refs = [b["entry"][0]["resource"]["identifier"][1]["value"] for b in exported]
    assert refs == ["P-001", "P-002", "P-003"]  # batches of 2: the third in a second batch
    assert all(b["type"] == "transaction" for b in exported)


async def test_since_leaves_out_what_came_before(followed: Journey) -> None:
    (bundle,) = await _export(followed, Scope(patient_ref="P-001", since=date(2026, 4, 1)))
    assert set(_kinds(bundle)) == {"Patient", "EpisodeOfCare", "Procedure", "Questionnaire"}


async def test_an_unknown_patient_or_team_is_refused(journey: Journey) -> None:
    with pytest.raises(UnknownScope, match="P-404"):
        await _export(journey, Scope(patient_ref="P-404"))
    with pytest.raises(UnknownScope, match="Cardiology"):
        await _export(journey, Scope(team="Cardiology"))


async def test_each_export_is_audited_by_scope_without_patient_data(followed: Journey) -> None:
    await _export(followed, Scope(patient_ref="P-001", with_names=True))
    async with followed.runtime.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == ACTION).order_by(AuditEntry.id.desc())
        )
    assert entry is not None
    assert entry.actor_ref == "cli:test"
    assert entry.detail["scope"] == "patient"
    assert entry.detail["with_names"] is True
    assert isinstance(entry.detail["patient_id"], int)
    assert "P-001" not in json.dumps(entry.detail) and entry.patient_ref is None


def test_a_resource_fhir_refuses_stops_the_export_without_its_values() -> None:
    broken = {"entry": [{"resource": {"resourceType": "Task", "status": "P-001 is wrong"}}]}
    with pytest.raises(InvalidResource) as refused:
        checked(broken)
    assert str(refused.value) == "a Task did not validate as FHIR R4"
