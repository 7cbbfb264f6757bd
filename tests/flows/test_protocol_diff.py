"""Changes between protocol versions, in words a reviewer can sign off."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flows.diff import diff_protocols
from flows.schema import Protocol


def test_a_protocol_has_no_changes_from_itself(miss: Protocol) -> None:
    assert diff_protocols(miss, miss) == []


def test_the_open_pathway_differs_from_the_mis_one_in_days_and_milestones(
    miss: Protocol, open_lumbar: Protocol
) -> None:
    changes = diff_protocols(miss, open_lumbar)
    assert "schedule: POD 42 check-in added" in changes
    assert "milestone 'walking_indoors': from_pod: 2 → 3" in changes
    assert "education: POD 5 note added" in changes
    assert "education: POD 2 note removed" in changes
    assert "education: POD 3 note changed" in changes
    assert not any(change.startswith(("rule", "item")) for change in changes)


@pytest.mark.parametrize(
    ("replacements", "expected"),
    [
        (
            [
                (
                    "        - {item: temperature, at_least: 38.0}\n        - {pod:",
                    "        - {item: temperature, at_least: 38.5}\n        - {pod:",
                )
            ],
            ["rule 'fever_late': threshold 38.0 → 38.5"],
        ),
        (
            [
                (
                    "tier: amber\n    when: {item: fell, equals: yes}",
                    "tier: red_urgent\n    when: {item: fell, equals: yes}",
                )
            ],
            ["rule 'fell': tier: amber → red_urgent"],
        ),
        (
            [
                (
                    "    when: {item: dizzy, equals: yes}",
                    "    when: {any: [{item: dizzy, equals: yes}, {item: fainted, equals: yes}]}",
                )
            ],
            ["rule 'dizzy_standing': condition dizzy = yes → dizzy = yes or fainted = yes"],
        ),
        (
            [
                (
                    "      en: Fell since the last check-in\n",
                    "      en: Fell over since the last check-in\n",
                )
            ],
            [
                "rule 'fell': reason (en): 'Fell since the last check-in' → "
                "'Fell over since the last check-in'"
            ],
        ),
        (
            [
                (
                    "  - id: fell\n    source: core\n    tier: amber\n"
                    "    when: {item: fell, equals: yes}\n    reason:\n"
                    "      en: Fell since the last check-in\n"
                    "      es: Se ha caído desde el último control\n",
                    "",
                )
            ],
            ["rule 'fell' removed"],
        ),
        (
            [("      ask: [bowels_days]", "      ask: [bowels_days, wound_redness]")],
            [f"schedule: POD {pod} now also asks 'wound_redness'" for pod in (1, 2, 4, 5, 6)],
        ),
        (
            [
                (
                    "  concern: [red_flags, bladder, wound_bleeding]",
                    "  concern: [red_flags, bladder]",
                )
            ],
            ["schedule: a concern no longer asks 'wound_bleeding'"],
        ),
        (
            [('    time: "18:00"', '    time: "19:00"')],
            ["schedule: evening check time: 18:00 → 19:00"],
        ),
        (
            [("  reminder_after_hours: 4", "  reminder_after_hours: 3")],
            ["schedule: reminder_after_hours: 4.0 → 3.0"],
        ),
        (
            [("acknowledge_within_minutes: 240", "acknowledge_within_minutes: 120")],
            ["escalation.amber.acknowledge_within_minutes: 240 → 120"],
        ),
        (
            [('version: "1"', 'version: "2"'), ("languages: [en, es]", "languages: [en, es]")],
            ["version: 1 → 2"],
        ),
        (
            [("    decimals: 1\n", "    decimals: 2\n")],
            ["item 'temperature': decimals: 1 → 2"],
        ),
    ],
)
def test_a_change_is_described(
    miss_v1: Protocol,
    edit_miss: Callable[..., Protocol],
    replacements: list[tuple[str, str]],
    expected: list[str],
) -> None:
    assert diff_protocols(miss_v1, edit_miss(*replacements)) == expected


def test_a_condition_removed_from_a_question_is_described(hernia: Protocol) -> None:
    without = hernia.model_copy(
        update={"items": tuple(i.model_copy(update={"ask_if": None}) for i in hernia.items)}
    )
    assert diff_protocols(hernia, without) == [
        "item 'pain_worse_with': condition groin_pain ≥ 4 → (none)"
    ]


def test_options_put_in_another_order_are_noticed(miss: Protocol) -> None:
    item = miss.item("pain_control")
    reordered = item.model_copy(update={"options": tuple(reversed(item.options))})  # type: ignore[union-attr]
    items = tuple(reordered if i.id == item.id else i for i in miss.items)
    assert diff_protocols(miss, miss.model_copy(update={"items": items})) == [
        "item 'pain_control': options: order changed"
    ]


def test_dropping_the_evening_check_and_a_check_in_day(miss_v1: Protocol) -> None:
    schedule = miss_v1.schedule.model_copy(
        update={"same_day_discharge_evening": None, "check_ins": miss_v1.schedule.check_ins[:-1]}
    )
    assert diff_protocols(miss_v1, miss_v1.model_copy(update={"schedule": schedule})) == [
        "schedule: POD 30 check-in removed",
        "schedule: the POD 0 evening check no longer asks "
        "'saddle_numbness', 'leg_weakness', 'chest_breath', 'bladder', 'wound_bleeding', "
        "'pain_back', 'pain_leg', 'pain_control', 'temperature', 'fainted', 'headache_upright', "
        "'calf', 'confusion', 'dizzy', 'fell', 'fluids_down'",
        "schedule: POD 0 evening check removed",
    ]


def test_an_option_renamed_and_a_question_made_compulsory(hernia: Protocol) -> None:
    def edit(item_id: str, **update: object) -> Protocol:
        items = tuple(i.model_copy(update=update) if i.id == item_id else i for i in hernia.items)
        return hernia.model_copy(update={"items": items})

    mobility = hernia.item("mobility")
    options = list(mobility.options)  # type: ignore[union-attr]
    options[0] = options[0].model_copy(update={"id": "bedbound"})
    assert diff_protocols(hernia, edit("mobility", options=tuple(options))) == [
        "item 'mobility': options: 'bed' removed",
        "item 'mobility': options: 'bedbound' added",
    ]
    assert diff_protocols(hernia, edit("weight", skippable=False)) == [
        "item 'weight': skippable: True → False"
    ]


def test_wording_and_conversions_changes(miss: Protocol, hernia: Protocol) -> None:
    reworded = miss.model_copy(update={"wording": {"es": {"skip": "Saltar"}}})
    assert diff_protocols(miss, reworded) == ["wording: es added"]
    assert diff_protocols(reworded, miss) == ["wording: es removed"]
    weight = hernia.item("weight")
    items = tuple(
        i.model_copy(update={"conversions": ()}) if i is weight else i for i in hernia.items
    )
    assert diff_protocols(hernia, hernia.model_copy(update={"items": items})) == [
        "item 'weight': conversions: {from_unit: [lb_av], read_between: {min: 151.0, max: "
        "400.0}} → (none)"
    ]
