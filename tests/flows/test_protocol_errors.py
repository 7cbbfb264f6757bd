"""A broken protocol file is refused with the line to look at and what to change.

Each case breaks the shipped MIS protocol in one place; "@@" in the replacement marks the line
the message must point to, so the tests keep working as the file grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from flows.issues import Issue, ProtocolInvalid
from flows.loading import parse_protocol

# A file whose text the tests know: the MIS pathway as shipped in v1.
MISS = (Path(__file__).parent / "fixtures" / "v1" / "spine-miss-lumbar.yaml").read_text("utf-8")
BLEEDING = MISS[MISS.index("  - id: wound_bleeding\n") : MISS.index("      - id: swelling\n")]


@dataclass(frozen=True)
class Broken:
    says: str
    old: str
    new: str  # "@@" marks the line the message must point to
    message: str


CASES = [
    Broken(
        "a YAML syntax error is reported with the parser's line",
        "  - id: pain_leg\n    source: core\n",
        "  - id: pain_leg\n@@   source: core\n",
        "YAML syntax error: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block collection)",
    ),
    Broken(
        "a tab used for indenting is named",
        "  - id: pain_leg\n    source: core\n",
        "  - id: pain_leg\n@@\tsource: core\n",
        "YAML syntax error: a tab character; indent with spaces only",
    ),
    Broken(
        "a key given twice is an error, not a silent overwrite",
        "  - id: confusion\n    source: core\n    tier: red_urgent\n",
        "  - id: confusion\n    source: core\n    tier: red_urgent\n@@    tier: amber\n",
        "key 'tier' given twice (first at line {previous_line}); keep one",
    ),
    Broken(
        "an unknown key suggests the known one",
        "  - id: confusion\n    source: core\n    tier: red_urgent\n",
        "  - id: confusion\n    source: core\n@@    teir: red_urgent\n",
        "rule 'confusion': teir: unknown key 'teir'; did you mean 'tier'?",
    ),
    Broken(
        "a missing key is named on its entry's line",
        "  - id: confusion\n    source: core\n    tier: red_urgent\n"
        "    when: {item: confusion, equals: yes}\n    reason:\n      en: Unusually drowsy or "
        "confused\n      es: Más adormilado o confuso de lo normal\n",
        "@@  - id: confusion\n    source: core\n    tier: red_urgent\n"
        "    when: {item: confusion, equals: yes}\n",
        "rule 'confusion': missing key 'reason'",
    ),
    Broken(
        "a tier that does not exist lists the tiers",
        "  - id: confusion\n    source: core\n    tier: red_urgent\n",
        "  - id: confusion\n    source: core\n@@    tier: orange\n",
        "rule 'confusion': tier: 'orange' is not one of green, amber, red_urgent, red_emergency",
    ),
    Broken(
        "a misspelt item in a rule suggests the right one",
        "        - {item: temperature, at_least: 38.0}\n        - {pod: {at_least: 4}}",
        "@@        - {item: temprature, at_least: 38.0}\n        - {pod: {at_least: 4}}",
        "rule 'fever_late': unknown item 'temprature'; did you mean 'temperature'?",
    ),
    Broken(
        "a rule naming an option the item does not have",
        "    when: {item: bladder, equals: leaking}",
        "@@    when: {item: bladder, equals: leakng}",
        "rule 'cauda_equina_incontinence': item 'bladder' has no option 'leakng'; did you mean "
        "'leaking'? (options: normal, difficult, cannot_pass, leaking)",
    ),
    Broken(
        "a text missing in one of the languages",
        "    reason:\n      en: Fell since the last check-in\n"
        "      es: Se ha caído desde el último control\n",
        "@@    reason:\n      en: Fell since the last check-in\n",
        "rule 'fell': reason has no text in es",
    ),
    Broken(
        "two rules with one id",
        "  - id: fell\n    source: core\n    tier: amber\n",
        "  - id: dizzy_standing\n    source: core\n    tier: amber\n".replace("  -", "@@  -", 1),
        "rule 'dizzy_standing': rule id 'dizzy_standing' is used twice",
    ),
    Broken(
        "a threshold outside the item's range is a typo",
        "    when: {item: temperature, at_least: 38.5}",
        "@@    when: {item: temperature, at_least: 385}",
        "rule 'fever_high': threshold 385 is outside the accepted range of item 'temperature' "
        "(34–43)",
    ),
    Broken(
        "the schedule asking an unknown item",
        "      ask: [bowels_days]",
        "@@      ask: [bowel_days]",
        "schedule: unknown item or group 'bowel_days'; did you mean 'bowels_days'?",
    ),
    Broken(
        "a core item must keep its options",
        BLEEDING + "      - id: swelling\n",
        "@@" + BLEEDING + "      - id: swollen\n",
        "item 'wound_bleeding': as a core item, its options must be dry, spotting, soaked, "
        "swelling, in this order",
    ),
    Broken(
        "a core id cannot be a local item",
        "  - id: fell\n    source: core\n    type: yes_no",
        "  - id: fell\n@@    source: local\n    type: yes_no",
        "item 'fell': 'fell' is a core item id: declare source: core, or use another id for a "
        "local item",
    ),
    Broken(
        "emergency advice must carry the emergency number",
        "    en: Call emergency services now ({emergency_number}), do not wait for us.",
        "@@    en: Call emergency services now, do not wait for us.",
        "advice: red_emergency advice must give the number: include {emergency_number}",
    ),
    Broken(
        "a lone brace in advice",
        "    es: Gracias. El equipo se pondrá",
        "@@    es: Gracias. El equipo {se pondrá",
        "advice: a lone { or }: write {{ or }} for a brace",
    ),
    Broken(
        "a version must be quoted text",
        'version: "1"',
        "@@version: 1",
        "version: 1 must be text here: put it in quotes",
    ),
    Broken(
        "unless_fired naming an unknown rule",
        "    unless_fired: [fever_high, fever_late, fever_wound_signs]",
        "@@    unless_fired: [fever_high, fever_lat, fever_wound_signs]",
        "rule 'fever': unknown rule 'fever_lat'; did you mean 'fever_late'?",
    ),
    Broken(
        "a milestone due after the last check-in can never be judged",
        "  - {id: back_pain_2, source: core, from_pod: 30,",
        "@@  - {id: back_pain_2, source: core, from_pod: 31,",
        "milestone 'back_pain_2': can never be judged: no check-in from POD 31 on asks 'pain_back'",
    ),
    Broken(
        "an unknown item type suggests the right one",
        "  - id: pain_leg\n    source: core\n    type: nrs\n",
        "@@  - id: pain_leg\n    source: core\n    type: nsr\n",
        "item 'pain_leg': unknown type 'nsr'; did you mean 'nrs'? (types: nrs, yes_no, choice, "
        "ordinal, number, integer, photo, text)",
    ),
    Broken(
        "a time of day in the wrong format",
        '  time: "09:00"',
        '@@  time: "9:00"',
        "schedule.time: '9:00': write a time as HH:MM in quotes, e.g. '09:00'",
    ),
    Broken(
        "a green rule means nothing",
        "  - id: fell\n    source: core\n    tier: amber\n",
        "  - id: fell\n    source: core\n@@    tier: green\n",
        "rule 'fell': tier green means no rule fired; a rule raises amber, red_urgent, "
        "red_emergency",
    ),
    Broken(
        "a condition with two comparisons",
        "    when: {item: dizzy, equals: yes}",
        "@@    when: {item: dizzy, equals: yes, not_equals: no}",
        "rule 'dizzy_standing': when: give exactly one comparison of equals, not_equals, in, "
        "not_in, at_least, at_most, above, below (got equals, not_equals)",
    ),
    Broken(
        "a condition of no known kind",
        "    when: {item: dizzy, equals: yes}",
        "@@    when: {itme: dizzy, equals: yes}",
        "rule 'dizzy_standing': when: a condition needs one of the keys item, change, rise, "
        "previous, check_in, domains, pod, all, any, not, missed, milestones_behind",
    ),
    Broken(
        "a group holds only yes/no items",
        "    items: [saddle_numbness, leg_weakness, chest_breath]",
        "@@    items: [saddle_numbness, leg_weakness, bladder]",
        "group 'red_flags': 'bladder' is a choice item; groups hold yes/no items",
    ),
    Broken(
        "a range that runs backwards",
        "    range: {min: 0, max: 30}",
        "@@    range: {min: 30, max: 0}",
        "item 'bowels_days': range: min (30) must be below max (0)",
    ),
    Broken(
        "a reminder after the check-in is missed",
        "  reminder_after_hours: 4",
        "@@  reminder_after_hours: 14",
        "schedule: the reminder must come before the check-in counts as missed",
    ),
]


def broken(case: Broken) -> tuple[int, tuple[Issue, ...]]:
    """The marked line, and the issues of the broken file."""
    assert MISS.count(case.old) == 1, f"{case.old!r} is not unique in the protocol"
    text = MISS.replace(case.old, case.new)
    line = text[: text.index("@@")].count("\n") + 1
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(text.replace("@@", ""), "spine.yaml")
    return line, caught.value.issues


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.says)
def test_a_broken_file_says_where_and_what(case: Broken) -> None:
    line, issues = broken(case)
    message = case.message.replace("{previous_line}", str(line - 1))
    assert f"spine.yaml:{line}: {message}" in [str(issue) for issue in issues]


def test_the_shipped_file_itself_is_valid() -> None:
    assert parse_protocol(MISS, "spine.yaml").id == "spine-miss-lumbar"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "a protocol file is a mapping: id:, version:, items:, …"),
    ],
)
def test_a_file_that_is_not_a_protocol_at_all(text: str, message: str) -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(text, "x.yaml")
    assert str(caught.value) == f"x.yaml:1: {message}"


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    text = MISS.replace(
        "tier: red_urgent\n    when: {item: confusion", "tier: orange\n    when: {item: confusion"
    )
    text = text.replace(
        "  - id: fell\n    source: core\n    tier: amber",
        "  - id: fell\n    sorce: core\n    tier: amber",
    )
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(text, "spine.yaml")
    lines = [issue.line for issue in caught.value.issues]
    assert len(lines) >= 2 and lines == sorted(lines)


def test_a_time_written_without_quotes_stays_a_time() -> None:
    text = MISS.replace('time: "18:00"', "time: 18:00")
    assert parse_protocol(text, "spine.yaml").schedule.same_day_discharge_evening.time == "18:00"  # type: ignore[union-attr]


def test_an_unquoted_question_mark_in_braces_says_to_quote_the_text() -> None:
    text = MISS.replace("label: {en: Partly, es: En parte}", "label: {en: Partly?, es: En parte}")
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(text, "spine.yaml")
    assert str(caught.value).endswith("put text with , : ? [ ] { } in quotes")


LAUGHS = "id: x\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join(['*' + chr(97 + n)] * 10)}]\n" for n in range(9)
)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "id: x\nitems: &shared [a]\nother: *shared\n",
            2,
            "YAML anchors and aliases (& and *) are not allowed; write the entry out",
        ),
        ("id: x\nitems: &lonely [a]\n", 2, "YAML anchors and aliases"),
        ("id: x\nother: *nowhere\n", 2, "YAML anchors and aliases"),
        (LAUGHS, 2, "YAML anchors and aliases"),  # 1 KB that would expand to gigabytes
        ("id: x\nwhen: " + "[" * 25 + "]" * 25 + "\n", 2, "nested more than 24 levels deep"),
        ("id: x\nwhen: " + "[" * 10_000 + "]" * 10_000 + "\n", 2, "nested more than 24"),
        ("id: x\nnote: '" + "a" * 1_000_001 + "'\n", 1, "the file is 1,000,016 bytes"),
    ],
)
def test_what_yaml_could_expand_is_refused_with_its_line(
    text: str, line: int, message: str
) -> None:
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(text, "x.yaml")
    assert str(caught.value).startswith(f"x.yaml:{line}: {message}")


def test_nesting_up_to_the_limit_is_read_and_judged_as_any_other_file() -> None:
    """Deep but allowed nesting reaches the format check, which names the unknown key."""
    with pytest.raises(ProtocolInvalid) as caught:
        parse_protocol(MISS + "deep: " + "[" * 23 + "]" * 23 + "\n", "spine.yaml")
    assert "deep" in str(caught.value)
