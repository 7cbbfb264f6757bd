"""Answers and history as the bot and the command line hand them in (JSON-like data)."""

from __future__ import annotations

from typing import Any

import pytest

from flows.answers import PastCheckIn, answers_problems, history_from_json
from flows.schema import Protocol


def test_valid_answers_have_no_problems(miss: Protocol) -> None:
    answers = {
        "pain_back": 3,
        "temperature": 37,
        "walking": "indoors",
        "saddle_numbness": False,
        "bowels_days": 2,
        "wound_photo": "file-1",
    }
    assert answers_problems(miss, answers) == []


@pytest.mark.parametrize(
    ("answers", "problem"),
    [
        ({"temprature": 38}, "unknown item 'temprature'; did you mean 'temperature'?"),
        ({"temperature": 451}, "temperature: 451 is outside 30–43"),
        ({"temperature": "38"}, "temperature: must be a number"),
        ({"pain_back": 7.5}, "pain_back: must be a whole number"),
        ({"pain_back": True}, "pain_back: must be a whole number"),
        ({"pain_leg": 11}, "pain_leg: 11 is outside 0–10"),
        ({"saddle_numbness": "yes"}, "saddle_numbness: must be true or false"),
        ({"bladder": "leakng"}, "bladder: must be one of normal, difficult, cannot_pass, leaking"),
        ({"wound_photo": ""}, "wound_photo: must be non-empty text"),
    ],
)
def test_an_answer_that_does_not_fit_its_question(
    miss: Protocol, answers: dict[str, Any], problem: str
) -> None:
    assert answers_problems(miss, answers) == [problem]


def test_history_is_read_oldest_first_with_missed_check_ins(miss: Protocol) -> None:
    data = [
        {"pod": 1, "answers": {"pain_back": 4}},
        {"pod": 2, "missed": True},
        {"pod": 2, "concern": True, "answers": {"calf": False}},
        {"pod": 3},
    ]
    assert history_from_json(miss, data) == (
        PastCheckIn(1, {"pain_back": 4}),
        PastCheckIn(2, missed=True),
        PastCheckIn(2, {"calf": False}, kind="concern"),
        PastCheckIn(3, {}),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pod": 1}, "history must be a list of check-ins, oldest first"),
        (
            [{"pod": 1, "answer": {}}],
            'history entry 1: give {"pod": N, "answers": {...}} or "missed": true',
        ),
        (["pod 1"], 'history entry 1: give {"pod": N, "answers": {...}} or "missed": true'),
        ([{"pod": -1}], "history entry 1: pod must be a whole number from 0"),
        ([{"pod": True}], "history entry 1: pod must be a whole number from 0"),
        (
            [{"pod": 1, "missed": True, "answers": {"pain_back": 1}}],
            "history entry 1: a check-in has answers or is missed, not both",
        ),
        (
            [{"pod": 1, "missed": "yes"}],
            "history entry 1: a check-in has answers or is missed, not both",
        ),
        (
            [{"pod": 1, "answers": []}],
            "history entry 1: a check-in has answers or is missed, not both",
        ),
        (
            [{"pod": 1, "missed": True, "concern": True}],
            "history entry 1: concern is true or false, and a concern is never missed",
        ),
        (
            [{"pod": 1, "concern": "yes"}],
            "history entry 1: concern is true or false, and a concern is never missed",
        ),
        (
            [{"pod": 1, "answers": {"pain_back": 12}}],
            "history entry 1: pain_back: 12 is outside 0–10",
        ),
        (
            [{"pod": 3}, {"pod": 2}],
            "history entry 2: POD 2 comes after POD 3; list check-ins oldest first",
        ),
    ],
)
def test_history_that_cannot_be_read_says_which_entry_and_why(
    miss: Protocol, data: Any, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        history_from_json(miss, data)
    assert str(caught.value) == message
