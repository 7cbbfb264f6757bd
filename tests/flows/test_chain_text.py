"""Admins write escalation steps as AFTER:WHO[:daytime][:every=REPEAT]; mistakes are named."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.chains import check_chain, format_duration, format_step, parse_step
from flows.escalation import DEFAULT_CHAINS, NOTIFY, ON_CALL, SURGEON, TEAM_CHAT, ChainStep


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("0:team_chat", ChainStep(0, TEAM_CHAT)),
        ("4h:on_call:daytime", ChainStep(14400, ON_CALL, daytime=True)),
        ("30m:surgeon:every=5m", ChainStep(1800, SURGEON, 300)),
        (" 2h:surgeon:every=1h:daytime ", ChainStep(7200, SURGEON, 3600, daytime=True)),
    ],
)
def test_a_step_reads_as_written(text: str, step: ChainStep) -> None:
    assert parse_step(text) == step


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("4h:on_duty", "unknown notify target 'on_duty' (use team_chat, on_call, surgeon)"),
        ("4 hours:on_call", "not a duration: '4 hours'"),
        ("30m:surgeon:every=often", "not a duration: 'often'"),
        ("4h:on_call:nights", "unknown option 'nights' (use daytime or every=DURATION)"),
        ("on_call", "write AFTER:WHO"),
        ("4h:", "write AFTER:WHO"),
    ],
)
def test_a_step_that_cannot_be_read_says_why(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="step") as refused:
        parse_step(text)
    assert complaint in str(refused.value)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0"), (45, "45s"), (90, "90s"), (900, "15m"), (14400, "4h")]
)
def test_durations_are_written_in_the_largest_exact_unit(seconds: int, text: str) -> None:
    assert format_duration(seconds) == text


@given(
    after=st.integers(min_value=0, max_value=7 * 86400),
    notify=st.sampled_from(NOTIFY),
    repeat=st.none() | st.integers(min_value=1, max_value=86400),
    daytime=st.booleans(),
)
def test_a_written_step_reads_back_as_itself(
    after: int, notify: str, repeat: int | None, daytime: bool
) -> None:
    step = ChainStep(after, notify, repeat, daytime)
    assert parse_step(format_step(step)) == step


def test_the_default_chains_pass_their_own_checks() -> None:
    for chain in DEFAULT_CHAINS.values():
        check_chain(chain)


@pytest.mark.parametrize(
    ("steps", "complaint"),
    [
        ([], "at least one step"),
        (["0:team_chat", "4h:on_call", "30m:surgeon"], "steps out of order: step 3 (30m:surgeon)"),
        (["0:team_chat", "5m:on_call:every=5m", "30m:surgeon"], "step 2 (5m:on_call:every=5m)"),
        (["0:team_chat", "5m:surgeon:every=0"], "more than 0 seconds"),
    ],
)
def test_a_chain_that_would_not_run_as_written_is_refused(steps: list[str], complaint: str) -> None:
    with pytest.raises(ValueError) as refused:
        check_chain([parse_step(s) for s in steps])
    assert complaint in str(refused.value)
