"""The cross-checks a protocol must pass, one mistake at a time (messages; lines are tested
in test_protocol_errors.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from flows.issues import ProtocolInvalid
from flows.loading import parse_protocol

# A file whose data the tests know: the MIS pathway as shipped in v1.
MISS = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "v1" / "spine-miss-lumbar.yaml").read_text("utf-8")
)
Data = dict[str, Any]
# libyaml's emitter writes the same text as PyYAML's own, several times faster.
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dumped(data: Data) -> str:
    return yaml.dump(data, Dumper=DUMPER, allow_unicode=True)


def entry(data: Data, section: str, ident: str) -> Data:
    return next(e for e in data[section] if e["id"] == ident)


def item(data: Data, ident: str) -> Data:
    return entry(data, "items", ident)


def rule(data: Data, ident: str) -> Data:
    return entry(data, "rules", ident)


def when(rule_id: str, condition: Data) -> Callable[[Data], None]:
    return lambda data: rule(data, rule_id).update(when=condition)


def problems(change: Callable[[Data], None]) -> list[str]:
    data = copy.deepcopy(MISS)
    change(data)
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(dumped(data), "p.yaml")
    return [issue.message for issue in caught.value.issues]


def add_local_item(data: Data, **fields: Any) -> None:
    data["items"].append({"source": "local", "question": {"en": "?", "es": "?"}, **fields})


EVENING = {
    "time": "18:00",
    "ask": ["red_flags"],
    "reminder_after_hours": 1,
    "missed_after_hours": 3,
    "source": "core",
}
CASES: list[tuple[str, Callable[[Data], None], str]] = [
    # conditions
    (
        "ask_if may only look at answers and the day",
        lambda d: item(d, "pain_leg").update(ask_if={"missed": {"in_a_row": 1}}),
        "item 'pain_leg': 'missed' cannot be used here; use one of all, any, item, not, pod",
    ),
    (
        "ask_if cannot depend on a later question",
        lambda d: item(d, "pain_back").update(ask_if={"item": "walking", "at_least": "in_room"}),
        "item 'pain_back': item 'walking' is asked later, so it cannot decide this",
    ),
    (
        "milestones_behind needs milestones",
        lambda d: d.update(milestones=[]),
        "rule 'off_track': milestones_behind needs milestones, and this protocol has none",
    ),
    (
        "a photo cannot be compared",
        when("fell", {"item": "wound_photo", "equals": "x"}),
        "rule 'fell': item 'wound_photo' is a photo: it cannot be compared",
    ),
    (
        "yes/no items are compared with equals",
        when("fell", {"item": "fell", "at_least": True}),
        "rule 'fell': item 'fell' is yes/no: use equals: yes or equals: no",
    ),
    (
        "a choice has no order",
        when("fell", {"item": "bladder", "at_least": "difficult"}),
        "rule 'fell': item 'bladder' is a choice without ranks: use in: [...] rather than at_least",
    ),
    (
        "a choice is compared with option ids",
        when("fell", {"item": "bladder", "equals": 3}),
        "rule 'fell': item 'bladder' has no value 3 (options: normal, difficult, cannot_pass, "
        "leaking)",
    ),
    (
        "a change of an unknown item",
        when("fell", {"change": "pain_bak", "at_least": 2}),
        "rule 'fell': unknown item 'pain_bak'; did you mean 'pain_back'?",
    ),
    (
        "a choice cannot change by an amount",
        when("fell", {"change": "bladder", "at_least": 2}),
        "rule 'fell': item 'bladder' is a choice: it has no size to change",
    ),
    (
        "a scale is compared with numbers",
        when("fell", {"item": "temperature", "at_least": "high"}),
        "rule 'fell': item 'temperature' is compared with a number, not 'high'",
    ),
    (
        "the POD is compared with numbers",
        when("fell", {"pod": {"at_least": "four"}}),
        "rule 'fell': POD is compared with a number, not 'four'",
    ),
    (
        "a rule cannot silence itself",
        lambda d: rule(d, "fever").update(unless_fired=["fever"]),
        "rule 'fever': a rule cannot be silenced by itself",
    ),
    # items
    (
        "every ordinal option has a value",
        lambda d: item(d, "walking")["options"][2].pop("value"),
        "item 'walking': every option of an ordinal item needs a value",
    ),
    (
        "ordinal options are listed by rising value",
        lambda d: item(d, "walking")["options"][0].update(value=9),
        "item 'walking': list ordinal options by rising value",
    ),
    (
        "only ordinal options have values",
        lambda d: item(d, "bladder")["options"][0].update(value=1),
        "item 'bladder': only ordinal items give options a value",
    ),
    (
        "two options with one id",
        lambda d: item(d, "bladder")["options"][1].update(id="normal"),
        "item 'bladder': option id 'normal' is used twice",
    ),
    (
        "a conversion we do not know",
        lambda d: item(d, "temperature")["conversions"][0].update(from_unit="[lb_av]"),
        "item 'temperature': no conversion from '[lb_av]' to 'Cel' (known: [degF] → Cel, "
        "[lb_av] → kg)",
    ),
    (
        "a conversion band overlapping the accepted range",
        lambda d: item(d, "temperature")["conversions"][0].update(
            read_between={"min": 40, "max": 110}
        ),
        "item 'temperature': replies 40–110 would be ambiguous: they overlap the accepted range "
        "34–43",
    ),
    (
        "a core item that does not exist",
        lambda d: add_local_item(d, id="mood", type="text", source="core"),
        "item 'mood': unknown core item 'mood'",
    ),
    (
        "a core item keeps its type",
        lambda d: item(d, "pain_back").update(
            type="integer", range={"min": 0, "max": 10}, worse="higher"
        ),
        "item 'pain_back': as a core item, its type must be nrs",
    ),
    (
        "a core ordinal keeps its values",
        lambda d: [o.update(value=2 * o["value"]) for o in item(d, "walking")["options"]],
        "item 'walking': as a core item, its option values must be 0, 1, 2, 3, 4",
    ),
    (
        "a core yes/no keeps which answer is concerning",
        lambda d: item(d, "fluids_down").update(concerning=True),
        "item 'fluids_down': as a core item, concerning must be no",
    ),
    (
        "temperature stays skippable",
        lambda d: item(d, "temperature").update(skippable=False),
        "item 'temperature': as a core item, it must be skippable",
    ),
    (
        "core items take their export code from the core dictionary",
        lambda d: item(d, "pain_leg").update(code={"system": "http://loinc.org", "code": "1-1"}),
        "item 'pain_leg': as a core item, its export code comes from the core dictionary: "
        "remove code",
    ),
    (
        "a core scale keeps its range",
        lambda d: item(d, "temperature").update(range={"min": 35, "max": 42}),
        "item 'temperature': as a core item, its range must be 30–43",
    ),
    (
        "a core number keeps its unit",
        lambda d: item(d, "temperature").update(unit="kg"),
        "item 'temperature': as a core item, its unit must be Cel",
    ),
    (
        "a core scale keeps its direction",
        lambda d: item(d, "bowels_days").update(worse="lower"),
        "item 'bowels_days': as a core item, worse must be higher",
    ),
    # groups
    (
        "a group naming an unknown item",
        lambda d: d["groups"][0]["items"].append("calv"),
        "group 'red_flags': unknown item 'calv'; did you mean 'calf'?",
    ),
    (
        "a grouped item needs a statement",
        lambda d: d["groups"][1]["items"].append("fluids_down"),
        "group 'warning_signs': 'fluids_down' needs a statement: to be listed in a group",
    ),
    (
        "a grouped item is asked with its group",
        lambda d: item(d, "calf").update(ask_if={"pod": {"at_least": 3}}),
        "group 'warning_signs': 'calf' has ask_if; grouped items are asked together",
    ),
    (
        "an item in two groups",
        lambda d: d["groups"][1]["items"].append("leg_weakness"),
        "group 'warning_signs': 'leg_weakness' is already in group 'red_flags'",
    ),
    (
        "a group id taken by an item",
        lambda d: d["groups"][1].update(id="calf"),
        "group 'calf': group id 'calf' is used twice",
    ),
    (
        "an item id too long for a button",
        lambda d: add_local_item(d, id="how_was_your_day_after_all", type="text"),
        "item 'how_was_your_day_after_all': item id 'how_was_your_day_after_all' is longer "
        "than 24 characters (it travels on the buttons that answer it)",
    ),
    (
        "an option id too long for a button",
        lambda d: add_local_item(
            d,
            id="mood",
            type="choice",
            options=[
                {"id": "fine", "label": {"en": "Fine", "es": "Bien"}},
                {"id": "not_quite_myself_these_days", "label": {"en": "Low", "es": "Bajo"}},
            ],
        ),
        "item 'mood': option id 'not_quite_myself_these_days' is longer than 24 characters",
    ),
    (
        "a group id too long for a button",
        lambda d: d["groups"][1].update(id="warning_signs_of_the_wound"),
        "group 'warning_signs_of_the_wound': group id 'warning_signs_of_the_wound' is longer",
    ),
    # texts
    (
        "a language listed twice",
        lambda d: d.update(languages=["en", "es", "en"]),
        "languages: a language is listed twice",
    ),
    (
        "a text in a language the protocol does not have",
        lambda d: rule(d, "fell")["reason"].update(fr="Chute"),
        "rule 'fell': reason has text in 'fr', which is not one of the protocol's languages "
        "(en, es)",
    ),
    (
        "a statement missing a language",
        lambda d: item(d, "calf")["statement"].pop("es"),
        "item 'calf': statement has no text in es",
    ),
    (
        "an unknown placeholder in advice",
        lambda d: d["advice"]["amber"].update(en="Call {emergency_numbr}"),
        "advice: unknown placeholder {emergency_numbr}; the only one is {emergency_number}; did "
        "you mean 'emergency_number'?",
    ),
    (
        "wording for a language the protocol does not have",
        lambda d: d.update(wording={"fr": {"yes": "Oui"}}),
        "wording: wording for 'fr', not a protocol language",
    ),
    (
        "an unknown wording key",
        lambda d: d.update(wording={"es": {"none_of_them": "Ninguno"}}),
        "wording: unknown wording key 'none_of_them'; did you mean 'none_of_these'?",
    ),
    (
        "a wording key of the wrong kind",
        lambda d: d.update(wording={"es": {"yes_words": []}}),
        "wording: wording 'yes_words': Tuple should have at least 1 item after validation, not 0",
    ),
    (
        "a language without built-in wording must give it",
        lambda d: (
            [d.update(languages=["en", "es", "pt"])] + [t.update(pt=t["en"]) for t in texts(d)]
        ),
        "languages: 'pt' has no built-in wording (en, es do): give wording: pt: yes, no, skip",
    ),
    # schedule
    (
        "questions on a day without a check-in",
        lambda d: d["schedule"]["questions"][2].update(pods=["1-8"]),
        "schedule: no check-in on POD 8 (check_ins: 1, 2, 3, 4, 5, 6, 7, 10, 14, 21, 30)",
    ),
    (
        "a check-in day that asks nothing",
        lambda d: d["schedule"].update(check_ins=["1-7", 10, 14, 21, 30, 60]),
        "schedule: POD 60 asks nothing",
    ),
    (
        "quiet hours that start when they end",
        lambda d: d["schedule"].update(quiet_hours={"start": "22:00", "end": "22:00"}),
        "schedule: quiet hours start when they end",
    ),
    (
        "check-ins in quiet hours would never be sent",
        lambda d: d["schedule"].update(time="23:00"),
        "schedule: check-ins would fall in quiet hours",
    ),
    (
        "an evening check in quiet hours",
        lambda d: d["schedule"]["same_day_discharge_evening"].update(time="22:30"),
        "schedule: the evening check would fall in quiet hours",
    ),
    (
        "quiet hours within a day",
        lambda d: d["schedule"].update(quiet_hours={"start": "08:00", "end": "10:00"}),
        "schedule: check-ins would fall in quiet hours",
    ),
    (
        "a POD range that runs backwards",
        lambda d: d["schedule"].update(check_ins=["7-1"]),
        "schedule.check_ins: POD range '7-1' runs backwards",
    ),
    (
        "a POD list that is not a list",
        lambda d: d["schedule"].update(check_ins=5),
        "schedule.check_ins: input should be a valid tuple",
    ),
    (
        "a POD that is not a number",
        lambda d: d["schedule"].update(check_ins=["1-7", "ten"]),
        "schedule.check_ins[1]: input should be a valid integer, unable to parse string as an "
        "integer",
    ),
    # education and escalation
    (
        "a note on a day without a check-in",
        lambda d: d["education"][0].update(pods=[8]),
        "education: no check-in on POD 8 to show it with",
    ),
    (
        "an emergency acknowledged later than an urgent alert",
        lambda d: d["escalation"]["red_emergency"].update(acknowledge_within_minutes=30),
        "escalation: red_emergency must be acknowledged no later than red_urgent",
    ),
    # the file format
    (
        "a yes/no setting",
        lambda d: item(d, "temperature").update(skippable="sometimes"),
        "item 'temperature': skippable: 'sometimes' must be yes or no",
    ),
    (
        "an item without a type",
        lambda d: item(d, "calf").pop("type"),
        "item 'calf': missing key 'type'",
    ),
    (
        "missed needs one of its three forms",
        when("no_response_repeated", {"missed": {"in_a_row": 3, "pod_in": [1]}}),
        "rule 'no_response_repeated': when.missed: give exactly one of pod_in, in_a_row or first",
    ),
    # v2
    (
        "domains counting more domains than it names",
        when("fell", {"domains": {"at_least": 3, "of": {"a": ["fever"], "b": ["dizzy_standing"]}}}),
        "rule 'fell': at least 3 of 2 domains can never hold",
    ),
    (
        "domains naming an unknown rule",
        when("fell", {"domains": {"at_least": 1, "of": {"pain": ["pain_hihg"]}}}),
        "rule 'fell': unknown rule 'pain_hihg'; did you mean 'pain_high'?",
    ),
    (
        "domains counting a rule that counts domains",
        lambda d: (
            rule(d, "fell").update(when={"domains": {"at_least": 1, "of": {"x": ["fever"]}}}),
            rule(d, "fever").update(
                when={"domains": {"at_least": 1, "of": {"y": ["dizzy_standing"]}}},
                unless_fired=[],
            ),
        ),
        "rule 'fell': rule 'fever' counts domains itself: it cannot be counted",
    ),
    (
        "a rule showing an unknown item",
        lambda d: rule(d, "fell").update(shows=["concern_wrods"]),
        "rule 'fell': unknown item 'concern_wrods'",
    ),
    (
        "both kinds of evening check",
        lambda d: d["schedule"].update(discharge_evening=EVENING),
        "schedule: give discharge_evening or same_day_discharge_evening, not both",
    ),
    (
        "an evening reminder after its missed time",
        lambda d: (
            d["schedule"].pop("same_day_discharge_evening"),
            d["schedule"].update(discharge_evening={**EVENING, "reminder_after_hours": 3}),
        ),
        "schedule: the reminder must come before the evening check counts as missed",
    ),
    (
        "an evening check missed only in quiet hours",
        lambda d: (
            d["schedule"].pop("same_day_discharge_evening"),
            d["schedule"].update(discharge_evening={**EVENING, "missed_after_hours": 5}),
        ),
        "schedule: the evening check, its reminder and its missed time must all fall before "
        "quiet hours (22:00)",
    ),
    (
        "an evening check naming an unknown item",
        lambda d: (
            d["schedule"].pop("same_day_discharge_evening"),
            d["schedule"].update(discharge_evening={**EVENING, "ask": ["red_flag"]}),
        ),
        "schedule: unknown item or group 'red_flag'; did you mean 'red_flags'?",
    ),
    (
        "a question placeholder other than since",
        lambda d: item(d, "fell").update(question={"en": "Since {last}?", "es": "¿{since}?"}),
        "item 'fell': unknown placeholder {last}; the only one is {since}",
    ),
    (
        "a safety net without the number",
        lambda d: d["advice"].update(
            safety_net={"en": "Call now.", "es": "Llame {emergency_number}."}
        ),
        "advice: safety_net advice must give the number: include {emergency_number}",
    ),
]


def texts(data: Data) -> list[Data]:
    """Every per-language text mapping in the data."""
    found: list[Data] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "en" in value and isinstance(value["en"], str):
                found.append(value)
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)

    walk({k: v for k, v in data.items() if k != "wording"})
    return found


@pytest.mark.parametrize(("says", "change", "message"), CASES, ids=[case[0] for case in CASES])
def test_a_protocol_with_this_mistake_is_refused(
    says: str, change: Callable[[Data], None], message: str
) -> None:
    found = problems(change)
    assert any(problem.startswith(message) for problem in found), found


def test_a_key_that_is_not_a_word() -> None:
    text = dumped(MISS) + "? [a, b]\n: c\n"
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(text, "p.yaml")
    assert [issue.message for issue in caught.value.issues] == ["a key must be a word"]


def test_a_new_language_with_all_its_wording_is_accepted() -> None:
    data = copy.deepcopy(MISS)
    data["languages"] = ["en", "es", "pt"]
    for text in texts(data):
        text["pt"] = text["en"]
    data["wording"] = {"pt": {**yaml.safe_load(yaml.safe_dump(_english_wording()))}}
    protocol = parse_protocol(dumped(data), "p.yaml")
    assert protocol.wordings["pt"].yes == "Yes"


def test_since_needs_a_way_to_name_days_in_every_language() -> None:
    data = copy.deepcopy(MISS)
    data["languages"] = ["en", "es", "pt"]
    for text in texts(data):
        text["pt"] = text["en"]
    wording = _english_wording()
    for key in (
        "since_last_check_in",
        "since_leaving_hospital",
        "date_format",
        "weekdays",
        "months",
    ):
        del wording[key]
    data["wording"] = {"pt": wording}
    assert parse_protocol(dumped(data), "p.yaml").wordings["pt"]
    item(data, "leg_weakness")["question"]["pt"] = "Weaker than {since}?"
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(dumped(data), "p.yaml")
    assert [issue.message for issue in caught.value.issues] == [
        "item 'leg_weakness': {since} needs the wording keys since_last_check_in, "
        "since_leaving_hospital, date_format, weekdays and months in 'pt'"
    ]
    # A broken wording is reported on its own, not as a missing way to name days.
    data["wording"]["pt"]["yes"] = ""
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(dumped(data), "p.yaml")
    assert all("{since}" not in issue.message for issue in caught.value.issues)


def _english_wording() -> dict[str, Any]:
    from flows.schema.wording import BUILT_IN

    return {
        key: list(v) if isinstance(v, tuple) else v
        for key, v in BUILT_IN["en"].model_dump().items()
    }


def test_a_milestone_that_does_not_say_where_its_value_comes_from_is_a_warning() -> None:
    from flows.checks import protocol_warnings

    v1 = parse_protocol(dumped(MISS), "p.yaml")
    warnings = protocol_warnings(v1)
    assert len(warnings) == len(v1.milestones)
    assert warnings[0] == (
        "milestone 'walking_in_room' has neither citation nor basis: say where its value comes "
        "from (citation: ... or basis: local-default)"
    )
    data = copy.deepcopy(MISS)
    data["milestones"][0]["citation"] = "a table of a paper"
    for milestone in data["milestones"][1:]:
        milestone["basis"] = "local-default"
    cited = parse_protocol(dumped(data), "p.yaml")
    assert protocol_warnings(cited) == []
