"""Properties of scoring that must hold for every answer, on every shipped protocol.

- a worse answer on any single item never lowers the tier;
- the same input always gives the same output;
- any subset of answers, with any history, scores without error;
- a reply's new findings are those its answers fire and the answers before it did not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows.protocols
from flows.agenda import CheckInKind
from flows.answers import AnswerValue, PastCheckIn
from flows.conversation import CheckInState, Question, next_question, start, take_reply
from flows.loading import parse_protocol
from flows.replies import Photo
from flows.schema import (
    ChoiceItem,
    IntegerItem,
    Item,
    NrsItem,
    NumberItem,
    OrdinalItem,
    PhotoItem,
    Protocol,
    TextItem,
    Worse,
    YesNoItem,
)
from flows.schema.items import accepted_range
from flows.triage import score, score_missed

HERE = Path(__file__).parent
PROTOCOLS = [
    parse_protocol(path.read_text("utf-8"), path.name)
    for path in [
        *(Path(flows.protocols.__file__).parent.glob("*.yaml")),
        HERE / "fixtures" / "hernia-test-fixture.yaml",
    ]
]
# As many examples as the hypothesis profile says: hypothesis's 100 in `make test`, 1,000 in
# `make properties` (the "deep" profile, tests/conftest.py).
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def values(item: Item) -> st.SearchStrategy[AnswerValue]:
    """Every valid answer to ``item``."""
    if isinstance(item, YesNoItem):
        return st.booleans()
    if isinstance(item, ChoiceItem | OrdinalItem):
        return st.sampled_from([option.id for option in item.options])
    if isinstance(item, PhotoItem | TextItem):
        return st.text(min_size=1, max_size=5)
    accepted = accepted_range(item)
    if isinstance(item, NumberItem):
        scale = 10**item.decimals
        return st.integers(int(accepted.min * scale), int(accepted.max * scale)).map(
            lambda whole: round(whole / scale, item.decimals)
        )
    return st.integers(int(accepted.min), int(accepted.max))


def severity(item: Item, value: AnswerValue) -> float:
    """How bad an answer is, by the item's own direction (higher is worse)."""
    if isinstance(item, YesNoItem):
        return 1.0 if value == item.concerning else 0.0
    if isinstance(item, ChoiceItem):
        return float([option.id for option in item.options].index(value))
    if isinstance(item, OrdinalItem):
        rank = next(option.value for option in item.options if option.id == value)
        assert rank is not None
        return float(rank if item.worse is Worse.HIGHER else -rank)
    assert isinstance(item, NrsItem | NumberItem | IntegerItem)
    assert isinstance(value, int | float)
    return float(value if item.worse is Worse.HIGHER else -value)


def answer_sets(protocol: Protocol) -> st.SearchStrategy[dict[str, AnswerValue]]:
    return st.fixed_dictionaries({}, optional={item.id: values(item) for item in protocol.items})


@st.composite
def check_ins(
    draw: st.DrawFn,
) -> tuple[Protocol, int, dict[str, AnswerValue], tuple[PastCheckIn, ...]]:
    protocol = draw(st.sampled_from(PROTOCOLS))
    pod = draw(st.integers(0, 45))
    earlier = draw(st.lists(st.integers(0, pod), max_size=5).map(sorted))
    history = tuple(
        PastCheckIn(day, missed=True)
        if draw(st.booleans())
        else PastCheckIn(day, draw(answer_sets(protocol)))
        for day in earlier
    )
    return protocol, pod, draw(answer_sets(protocol)), history


@SETTINGS
@given(check_ins(), st.data())
def test_a_worse_answer_on_any_single_item_never_lowers_the_tier(
    check_in: tuple[Protocol, int, dict[str, AnswerValue], tuple[PastCheckIn, ...]], data: Any
) -> None:
    protocol, pod, answers, history = check_in
    scales = [i for i in protocol.items if not isinstance(i, PhotoItem | TextItem)]
    item = data.draw(st.sampled_from(scales))
    better, worse = sorted(
        [data.draw(values(item)), data.draw(values(item))], key=lambda v: severity(item, v)
    )
    tier_better = score(protocol, pod, {**answers, item.id: better}, history).tier
    tier_worse = score(protocol, pod, {**answers, item.id: worse}, history).tier
    assert tier_worse.rank >= tier_better.rank, (item.id, better, worse)


@SETTINGS
@given(check_ins())
def test_the_same_input_always_gives_the_same_assessment(
    check_in: tuple[Protocol, int, dict[str, AnswerValue], tuple[PastCheckIn, ...]],
) -> None:
    protocol, pod, answers, history = check_in
    first = score(protocol, pod, answers, history)
    reordered = dict(reversed(list(answers.items())))
    assert score(protocol, pod, reordered, history) == first
    assert score(protocol, pod, answers, list(history)) == first


@SETTINGS
@given(check_ins())
def test_any_subset_of_answers_scores_and_the_tier_is_the_top_finding(
    check_in: tuple[Protocol, int, dict[str, AnswerValue], tuple[PastCheckIn, ...]],
) -> None:
    protocol, pod, answers, history = check_in
    assessment = score(protocol, pod, answers, history)
    top = max((finding.tier.rank for finding in assessment.findings), default=0)
    assert assessment.tier.rank == top
    assert assessment.recovery_score is None or 0 <= assessment.recovery_score <= 100
    assert all(set(finding.items) <= answers.keys() for finding in assessment.findings)
    missed = score_missed(protocol, pod, history)
    assert all(finding.items == () for finding in missed.findings)


@SETTINGS
@given(st.sampled_from(PROTOCOLS), st.lists(st.text(max_size=12), max_size=25))
def test_no_reply_ever_breaks_a_conversation(protocol: Protocol, replies: list[str]) -> None:
    state = start(protocol, 3, CheckInKind.SCHEDULED)
    for reply in replies:
        result = take_reply(protocol, state, reply, protocol.languages[0])
        assert (result.reask is None) or (result.state == state)
        state = result.state


@SETTINGS
@given(check_ins())
def test_with_nothing_answered_no_history_fires_a_rule(
    check_in: tuple[Protocol, int, dict[str, AnswerValue], tuple[PastCheckIn, ...]],
) -> None:
    """Why a check-in can start without its history (``start`` scores it without)."""
    protocol, pod, _answers, history = check_in
    assert score(protocol, pod, {}, history).findings == score(protocol, pod, {}).findings


def replies(protocol: Protocol, question: Question) -> st.SearchStrategy[str | Photo]:
    """What a patient may send to ``question``: a button, a typed answer, or nonsense."""
    if question.choices:
        sensible: st.SearchStrategy[str | Photo] = st.sampled_from(
            [choice.id for choice in question.choices]
        )
    elif question.type == "photo":
        sensible = st.just(Photo("photo-1"))
    else:
        sensible = values(protocol.item(question.id)).map(str)
    return st.one_of(sensible, sensible, st.text(max_size=6))


@SETTINGS
@given(check_ins(), st.data())
def test_a_replys_new_findings_are_the_rules_it_made_fire(
    check_in: tuple[Protocol, int, dict[str, AnswerValue], tuple[PastCheckIn, ...]], data: Any
) -> None:
    """Scored once a reply, the findings it adds are what scoring before and after it says
    (and a state stored before it kept its rules gets them from its answers)."""
    protocol, pod, _answers, history = check_in
    state = start(protocol, pod, CheckInKind.SCHEDULED)
    if data.draw(st.booleans()):
        state = CheckInState.from_json({k: v for k, v in state.to_json().items() if k != "fired"})
    language = protocol.languages[0]
    for _ in range(40):
        question = next_question(protocol, state, language)
        if question is None:
            break
        reply = data.draw(replies(protocol, question))
        result = take_reply(protocol, state, reply, language, history)
        fired_before = {f.rule for f in score(protocol, pod, state.answers, history).findings}
        after = score(protocol, pod, result.state.answers, history)
        assert result.assessment == after
        assert result.new_findings == tuple(f for f in after.findings if f.rule not in fired_before)
        state = result.state
