"""A patient's follow-up as a FHIR R4 transaction Bundle (JSON)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha1
from typing import Any

from flows.answers import AnswerValue
from flows.core_items import BODY_TEMPERATURE, PAIN_SEVERITY, UCUM
from flows.fhir.questionnaire import export_code, fhir_coding, to_fhir_questionnaire
from flows.findings import Finding
from flows.schema.items import (
    ChoiceItem,
    Item,
    NumberItem,
    OrdinalItem,
    PhotoItem,
    TextItem,
    YesNoItem,
)
from flows.schema.protocol import Protocol
from flows.tiers import Tier

# Every resource's id is a uuid5 of the deployment's namespace (16 bytes) and the record's own id
# ("Alert/12"): stable across exports, and free of patient data. A resource whose content the
# follow-up changes later is a conditional update on that identifier (PUT ``Task?identifier=…``),
# so a re-export carries its new state; one that never changes is a conditional create
# (``ifNoneExist``). Either way, posting the same Bundle twice creates nothing new.

IDENTIFIER_SYSTEM = "urn:ietf:rfc:3986"
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
SNOMED = "http://snomed.info/sct"
# Findings name the protocol rule that raised them; rule ids are this program's own codes.
RULE_SYSTEM = "urn:eras-spine-bot:rule"
APPROACH_SYSTEM = "urn:eras-spine-bot:approach"
TIER_SYSTEM = "urn:eras-spine-bot:tier"
_APPROACHES = {"miss": "MISS", "open": "open"}
_EPISODE_STATUS = {
    "invited": "planned",
    "active": "active",
    "paused": "onhold",
    "unreachable": "onhold",
    "declined": "cancelled",
    "completed": "finished",
    "withdrawn": "finished",
}
# The alert's life, as the team's task: open, acknowledged (someone has it), resolved.
_TASK_STATUS = {"open": "requested", "acknowledged": "in-progress", "resolved": "completed"}
# What changes after a first export: an episode's status and end, a corrected operation or
# pathway, a check-in answered further, an alert's findings (added while it is open), its flag and
# its task (acknowledged, resolved). A Questionnaire is one protocol version; an Observation one
# answer; the Patient is its pseudonymous reference (its name goes out only when asked, and an
# export without names must not erase one sent before).
MUTABLE = frozenset(
    {"EpisodeOfCare", "Procedure", "QuestionnaireResponse", "DetectedIssue", "Flag", "Task"}
)
_SEVERITY = {Tier.AMBER: "moderate", Tier.RED_URGENT: "high", Tier.RED_EMERGENCY: "high"}
_PRIORITY = {Tier.AMBER: "urgent", Tier.RED_URGENT: "asap", Tier.RED_EMERGENCY: "stat"}


@dataclass(frozen=True)
class ResponseRecord:
    """A check-in with answers: ``status`` is ``completed``, ``in-progress`` or ``stopped``
    (its window closed before the last answer)."""

    id: int
    status: str
    authored: datetime
    answers: Mapping[str, AnswerValue]


@dataclass(frozen=True)
class AlertRecord:
    id: int
    tier: Tier
    status: str  # open, acknowledged, resolved
    opened_at: datetime
    updated_at: datetime
    findings: tuple[Finding, ...]
    checkin_id: int | None = None


@dataclass(frozen=True)
class EpisodeRecord:
    id: int
    protocol: Protocol
    language: str
    procedure: str | None
    surgery_date: date
    status: str  # an episode status: invited, active, paused…
    started: date
    ended: date | None
    responses: tuple[ResponseRecord, ...] = ()
    alerts: tuple[AlertRecord, ...] = ()


@dataclass(frozen=True)
class PatientRecord:
    id: int
    ref: str  # the hospital's pseudonymous reference
    name: str | None  # given only when names are to be exported
    episodes: tuple[EpisodeRecord, ...]
    # The patient's own words (free-text answers) go out only when names do: they may name
    # people.
    words: bool = False


def resource_id(namespace: bytes, kind: str, record_id: int | str) -> str:
    """RFC 4122's name-based UUID (version 5) of ``kind/record_id`` in the 16-byte
    ``namespace``: what ``uuid.uuid5`` gives, without the module that also makes random ones."""
    digest = bytearray(sha1(namespace + f"{kind}/{record_id}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return _uuid_text(bytes(digest))


def _uuid_text(value: bytes) -> str:
    text = value.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def approach(protocol: Protocol) -> str | None:
    """MISS or open, as the pathway's id says (``spine-miss-lumbar``); None when it says
    neither."""
    for part in protocol.id.split("-"):
        if part in _APPROACHES:
            return _APPROACHES[part]
    return None


def patient_bundle(
    patient: PatientRecord,
    namespace: bytes,
    questionnaires: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``questionnaires``: those made for earlier Bundles of the same ``namespace``, by protocol
    version and language (added to): an export makes each once, not once an episode."""
    bundle = _Bundle(namespace)
    patient_url = bundle.add("Patient", patient.id, _patient(patient, namespace))
    made = {} if questionnaires is None else questionnaires
    for episode in patient.episodes:
        _add_episode(bundle, episode, patient_url, made, words=patient.words)
    return {"resourceType": "Bundle", "type": "transaction", "entry": bundle.entries}


class _Bundle:
    def __init__(self, namespace: bytes) -> None:
        self.namespace = namespace
        self.entries: list[dict[str, Any]] = []
        self.urls: set[str] = set()

    def add(self, kind: str, record_id: int | str, resource: dict[str, Any]) -> str:
        """The resource's ``urn:uuid`` (its reference inside the Bundle), added once."""
        url = f"urn:uuid:{resource_id(self.namespace, kind, record_id)}"
        if url not in self.urls:
            self.urls.add(url)
            identifier = {"system": IDENTIFIER_SYSTEM, "value": url}
            resource = {"resourceType": kind, **resource}
            if kind == "QuestionnaireResponse":  # it has one identifier, not a list
                resource["identifier"] = identifier
            else:
                resource["identifier"] = [identifier, *resource.get("identifier", [])]
            self.entries.append(
                {"fullUrl": url, "resource": resource, "request": _request(kind, url)}
            )
        return url


def _request(kind: str, url: str) -> dict[str, str]:
    """A conditional update for what changes, a conditional create for what does not."""
    search = f"identifier={IDENTIFIER_SYSTEM}|{url}"
    if kind in MUTABLE:
        return {"method": "PUT", "url": f"{kind}?{search}"}
    return {"method": "POST", "url": kind, "ifNoneExist": search}


def _patient(patient: PatientRecord, namespace: bytes) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "identifier": [{"system": f"urn:uuid:{_uuid_text(namespace)}", "value": patient.ref}]
    }
    if patient.name:
        resource["name"] = [{"text": patient.name}]
    return resource


def _add_episode(
    bundle: _Bundle,
    episode: EpisodeRecord,
    patient_url: str,
    questionnaires: dict[str, dict[str, Any]],
    *,
    words: bool,
) -> None:
    subject = {"reference": patient_url}
    period = {"start": episode.started.isoformat()}
    if episode.ended is not None:
        period["end"] = episode.ended.isoformat()
    bundle.add(
        "EpisodeOfCare",
        episode.id,
        {"status": _EPISODE_STATUS[episode.status], "patient": subject, "period": period},
    )
    bundle.add("Procedure", episode.id, _procedure(episode, subject))
    protocol = episode.protocol
    # One Questionnaire a protocol version and language; its url is its place in the Bundle.
    key = f"{protocol.id}|{protocol.version}|{episode.language}"
    questionnaire = questionnaires.get(key)
    if questionnaire is None:
        questionnaire = to_fhir_questionnaire(protocol, episode.language)
        questionnaire.pop("id")
        questionnaire["url"] = f"urn:uuid:{resource_id(bundle.namespace, 'Questionnaire', key)}"
        questionnaires[key] = questionnaire
    canonical = bundle.add("Questionnaire", key, questionnaire)
    responses: dict[int, str] = {}
    for response in episode.responses:
        responses[response.id] = _add_response(
            bundle, response, protocol, canonical, subject, words=words
        )
    for alert in episode.alerts:
        _add_alert(bundle, alert, subject, responses)


def _procedure(episode: EpisodeRecord, subject: dict[str, Any]) -> dict[str, Any]:
    code: dict[str, Any] = {"text": episode.procedure or episode.protocol.title}
    resource: dict[str, Any] = {
        "status": "completed",
        "code": code,
        "subject": subject,
        "performedDateTime": episode.surgery_date.isoformat(),
    }
    kind = approach(episode.protocol)
    if kind is not None:
        resource["category"] = {"coding": [{"system": APPROACH_SYSTEM, "code": kind}]}
    return resource


def _add_response(
    bundle: _Bundle,
    response: ResponseRecord,
    protocol: Protocol,
    canonical: str,
    subject: dict[str, Any],
    *,
    words: bool,
) -> str:
    items = []
    for item_id, value in response.answers.items():
        item = protocol.items_by_id.get(item_id)
        answer = None if item is None else _answer(item, value, words=words)
        if answer is not None:
            items.append({"linkId": item_id, "answer": [answer]})
    url = bundle.add(
        "QuestionnaireResponse",
        response.id,
        {
            "questionnaire": canonical,
            "status": response.status,
            "subject": subject,
            "authored": response.authored.isoformat(),
            "item": items,
        },
    )
    for item_id, value in response.answers.items():
        observation = _observation(protocol, item_id, value)
        if observation is not None:
            observation |= {
                "subject": subject,
                "effectiveDateTime": response.authored.isoformat(),
                "derivedFrom": [{"reference": url}],
            }
            bundle.add("Observation", f"{response.id}/{item_id}", observation)
    return url


def _answer(item: Item, value: AnswerValue, *, words: bool) -> dict[str, Any] | None:
    if isinstance(item, PhotoItem):
        return None  # the picture stays with the team, not in an exchange file
    if isinstance(item, TextItem) and not words:
        return None
    if isinstance(item, ChoiceItem | OrdinalItem):
        return {"valueCoding": {"code": str(value)}}
    if isinstance(item, YesNoItem):
        return {"valueBoolean": bool(value)}
    if isinstance(item, NumberItem):
        return {"valueDecimal": float(value)}
    if isinstance(item, TextItem):
        return {"valueString": str(value)}
    return {"valueInteger": int(value)}


def _observation(protocol: Protocol, item_id: str, value: AnswerValue) -> dict[str, Any] | None:
    item = protocol.items_by_id.get(item_id)
    code = None if item is None else export_code(item)
    result: dict[str, Any]
    if code == PAIN_SEVERITY:
        category, result = "survey", {"valueInteger": int(value)}
    elif code == BODY_TEMPERATURE:
        quantity = {"value": float(value), "unit": "°C", "system": UCUM, "code": "Cel"}
        category, result = "vital-signs", {"valueQuantity": quantity}
    else:
        return None
    coding = {"system": TERMINOLOGY + "observation-category", "code": category}
    return {
        "status": "final",
        "category": [{"coding": [coding]}],
        "code": {"coding": [fhir_coding(code)], "text": item_id},
        **result,
    }


def _add_alert(
    bundle: _Bundle, alert: AlertRecord, subject: dict[str, Any], responses: dict[int, str]
) -> None:
    # One piece of evidence a finding: the rule that raised it, and the answers it read.
    answered = [{"reference": responses[alert.checkin_id]}] if alert.checkin_id in responses else []
    evidence = [
        {
            "code": [
                {
                    "coding": [{"system": RULE_SYSTEM, "code": finding.rule}],
                    "text": finding.reason.get("en") or finding.rule,
                }
            ],
            "detail": answered,
        }
        for finding in alert.findings
    ]
    reasons = "; ".join(f.reason.get("en") or f.rule for f in alert.findings)
    issue_url = bundle.add(
        "DetectedIssue",
        alert.id,
        {
            "status": "final",
            "severity": _SEVERITY.get(alert.tier, "low"),
            "code": {"coding": [{"system": TIER_SYSTEM, "code": alert.tier.value}]},
            "patient": subject,
            "identifiedDateTime": alert.opened_at.isoformat(),
            "detail": reasons or alert.tier.value,
            "evidence": evidence,
        },
    )
    resolved = alert.status == "resolved"
    period = {"start": alert.opened_at.isoformat()}
    if resolved:
        period["end"] = alert.updated_at.isoformat()
    bundle.add(
        "Flag",
        alert.id,
        {
            "status": "inactive" if resolved else "active",
            "category": [
                {"coding": [{"system": TERMINOLOGY + "flag-category", "code": "clinical"}]}
            ],
            "code": {"text": reasons or alert.tier.value},
            "subject": subject,
            "period": period,
        },
    )
    bundle.add(
        "Task",
        alert.id,
        {
            "status": _TASK_STATUS[alert.status],
            "intent": "order",
            "priority": _PRIORITY.get(alert.tier, "routine"),
            "description": reasons or alert.tier.value,
            "focus": {"reference": issue_url},
            "for": subject,
            "authoredOn": alert.opened_at.isoformat(),
            "lastModified": alert.updated_at.isoformat(),
        },
    )
