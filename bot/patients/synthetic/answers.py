"""What a synthetic patient replies to a question, as its buttons or typed text would say.

The items that carry the known effects (walking, pain, opioid use) follow the patient's
model; a fever now and then raises an alert; everything else gets the reassuring answer.
"""

from __future__ import annotations

from bot.patients.synthetic.model import SyntheticPatient
from flows import Protocol, Question
from flows.conversation import NONE_OF_THESE
from flows.schema.items import ChoiceItem, NrsItem, OrdinalItem, Worse, YesNoItem

TYPED = {"integer": "1", "number": "36.8"}
FEVER = "38.6"  # °C: a red_urgent finding, for the team to acknowledge and resolve
SKIP = "skip"


def reply_to(patient: SyntheticPatient, protocol: Protocol, question: Question, pod: int) -> str:
    if question.type == "group":
        return NONE_OF_THESE
    modelled = {
        "walking": lambda: patient.walking(pod),
        "pain_back": lambda: str(patient.pain_back(pod)),
        "pain_leg": lambda: str(patient.pain_leg(pod)),
        "opioid_use": lambda: patient.opioid_use(pod),
        "temperature": lambda: FEVER if patient.fever(pod) else TYPED["number"],
    }
    if question.id in modelled:
        return modelled[question.id]()
    item = protocol.item(question.id)
    if isinstance(item, YesNoItem):
        return "no" if item.concerning else "yes"
    if isinstance(item, OrdinalItem):
        return (item.options[-1] if item.worse is Worse.LOWER else item.options[0]).id
    if isinstance(item, ChoiceItem):
        return item.options[0].id  # listed from normal to worst
    if isinstance(item, NrsItem):
        return "2"
    return TYPED.get(item.type, SKIP)  # a photo or a text: skipped
