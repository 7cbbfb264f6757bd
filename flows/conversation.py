"""A check-in as a conversation: state + reply → next question, as a pure state machine.

The state (``CheckInState``) is plain data the bot stores between messages. ``next_question``
says what to ask (or None when the check-in is complete); ``take_reply`` reads the patient's
reply to that question and returns the new state, a re-ask hint if the reply was not
understood, and the assessment of the answers so far with the findings this reply added, so a
red flag is acted on the moment it is answered. Each reply is scored once: the state keeps the
rules its answers fired, which is what the next reply's findings are new against.

Questions follow the protocol's item order, limited to the day's agenda and to items whose
``ask_if`` is not known to be false. Items of a group come as one question listing them, with
"none of these" (each gets its reassuring answer) or "yes, one or more" (each is then asked).

Two things come from before the check-in and are kept in the state when it starts: the day of
the patient's last answered check-in (a question's ``{since}``), and the items left out because
of earlier answers (an ``ask_if`` about ``previous`` answers, e.g. bowels asked until answered
≤ 2). A number item with ``confirm`` asks once more when a reading holds it (temperature ≤ 35.0:
"please measure again"): the state records it, the next question is the confirm text, and the
second reading is the answer that is scored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from flows.agenda import CheckInKind, agenda
from flows.answers import AnswerValue, PastCheckIn
from flows.checks.texts import SINCE
from flows.compiled import Facts, answer_test, compile_protocol
from flows.findings import Finding
from flows.replies import Accepted, Photo, ReAsk, Skipped, parse_reply, plain, read_yes_no
from flows.schema.items import Group, Item, NrsItem, NumberItem, OptionItem, YesNoItem
from flows.schema.protocol import Protocol
from flows.schema.wording import Wording
from flows.triage import Assessment, score

NONE_OF_THESE = "none"
SOME_OF_THESE = "some"


@dataclass(frozen=True)
class CheckInState:
    """Where a check-in stands: what was answered, skipped, and which groups were opened."""

    pod: int
    kind: CheckInKind
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    skipped: frozenset[str] = frozenset()
    opened: frozenset[str] = frozenset()  # groups answered "yes, one or more"
    # The rules the answers so far fire; None in a state stored before it kept them.
    fired: frozenset[str] | None = None
    since: str | None = None  # ISO day of the last answered check-in; None: the first one
    left_out: frozenset[str] = frozenset()  # not asked because of earlier check-ins
    confirming: frozenset[str] = frozenset()  # readings asked once more before they count

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "pod": self.pod,
            "kind": self.kind.value,
            "answers": dict(self.answers),
            "skipped": sorted(self.skipped),
            "opened": sorted(self.opened),
        }
        if self.fired is not None:
            data["fired"] = sorted(self.fired)
        if self.since is not None:
            data["since"] = self.since
        if self.left_out:
            data["left_out"] = sorted(self.left_out)
        if self.confirming:
            data["confirming"] = sorted(self.confirming)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckInState:
        fired = data.get("fired")
        return cls(
            pod=int(data["pod"]),
            kind=CheckInKind(data["kind"]),
            answers=dict(data.get("answers", {})),
            skipped=frozenset(data.get("skipped", ())),
            opened=frozenset(data.get("opened", ())),
            fired=frozenset(fired) if fired is not None else None,
            since=data.get("since"),
            left_out=frozenset(data.get("left_out", ())),
            confirming=frozenset(data.get("confirming", ())),
        )


@dataclass(frozen=True, slots=True)
class Choice:
    id: str  # what a button sends back
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """What a renderer needs to ask one question, in the patient's language."""

    id: str  # the item id, or the group id
    type: str  # the item type, or "group"
    text: str
    choices: tuple[Choice, ...] = ()  # buttons, in order; none for typed answers and photos
    skip_label: str | None = None  # a skip button, for skippable items
    statements: tuple[str, ...] = ()  # a group's items, to list under the text
    items: tuple[str, ...] = ()  # a group's item ids asked now


@dataclass(frozen=True, slots=True)
class ReplyResult:
    """What one reply did to a check-in."""

    state: CheckInState  # the new state (unchanged when re-asked)
    reask: str | None  # the hint, when the reply was not understood
    assessment: Assessment  # of all answers so far
    new_findings: tuple[Finding, ...]  # findings this reply added
    next_question: Question | None  # None: the check-in is complete


def start(
    protocol: Protocol,
    pod: int,
    kind: CheckInKind,
    history: Sequence[PastCheckIn] = (),
    last_check_in: date | None = None,
) -> CheckInState:
    """A check-in with nothing answered yet, and the rules that fire on that (only the POD
    and the kind can fire one then: with no answer, no history counts).

    ``history`` decides the items an ``ask_if`` about earlier answers leaves out;
    ``last_check_in`` is the day of the last answered check-in (None at the first), which a
    question's ``{since}`` names."""
    conditions = compile_protocol(protocol).ask_if
    facts = Facts({}, pod, history, kind=kind.value)
    left_out = frozenset(
        item_id
        for item_id in agenda(protocol, pod, kind)
        if item_id in conditions and conditions[item_id](facts) is False
    )
    return CheckInState(
        pod,
        kind,
        fired=_fired(score(protocol, pod, {}, kind=kind.value)),
        since=None if last_check_in is None else last_check_in.isoformat(),
        left_out=left_out,
    )


def _fired(assessment: Assessment) -> frozenset[str]:
    return frozenset(finding.rule for finding in assessment.findings)


def _pending(protocol: Protocol, state: CheckInState) -> list[Item]:
    done = state.answers.keys() | state.skipped | state.left_out
    conditions = compile_protocol(protocol).ask_if
    facts = Facts(state.answers, state.pod, kind=state.kind.value)
    return [
        protocol.item(item_id)
        for item_id in agenda(protocol, state.pod, state.kind)
        if item_id not in done
        and (item_id not in conditions or conditions[item_id](facts) is not False)
    ]


def _group_of(protocol: Protocol, item: Item) -> Group | None:
    return next((g for g in protocol.groups if item.id in g.items), None)


def _step(protocol: Protocol, state: CheckInState) -> tuple[Item, Group | None, list[str]] | None:
    """The next item, and its group with the group's pending items if it is asked as one."""
    pending = _pending(protocol, state)
    if not pending:
        return None
    first = pending[0]
    group = _group_of(protocol, first)
    if group is None or group.id in state.opened:
        return first, None, []
    together = [item.id for item in pending if item.id in group.items]
    return (first, group, together) if len(together) > 1 else (first, None, [])


def next_question(protocol: Protocol, state: CheckInState, language: str) -> Question | None:
    step = _step(protocol, state)
    if step is None:
        return None
    item, group, together = step
    wording = protocol.wordings[language]
    if group is not None:
        statements = []
        for item_id in together:
            grouped = protocol.item(item_id)
            assert isinstance(grouped, YesNoItem) and grouped.statement is not None
            statements.append(_filled(grouped.statement[language], state, wording))
        return Question(
            id=group.id,
            type="group",
            text=group.prompt[language],
            choices=(
                Choice(NONE_OF_THESE, wording.none_of_these),
                Choice(SOME_OF_THESE, wording.some_of_these),
            ),
            statements=tuple(statements),
            items=tuple(together),
        )
    text = item.question[language]
    if isinstance(item, NumberItem) and item.confirm is not None and item.id in state.confirming:
        text = item.confirm.ask[language]
    else:
        text = _filled(text, state, wording)
    return Question(
        id=item.id,
        type=item.type,
        text=text,
        choices=_choices(item, language, wording),
        skip_label=wording.skip if item.skippable else None,
    )


def _filled(text: str, state: CheckInState, wording: Wording) -> str:
    """``{since}``, the one placeholder a question or statement may have (checked when the
    protocol is loaded), as the last check-in's day or leaving hospital."""
    if "{" + SINCE + "}" not in text:
        return text
    since = None if state.since is None else date.fromisoformat(state.since)
    return text.replace("{" + SINCE + "}", wording.since(since))


def _choices(item: Item, language: str, wording: Wording) -> tuple[Choice, ...]:
    if isinstance(item, NrsItem):
        return tuple(Choice(str(value), str(value)) for value in range(11))
    if isinstance(item, YesNoItem):
        return (Choice("yes", wording.yes), Choice("no", wording.no))
    if isinstance(item, OptionItem):
        return tuple(Choice(option.id, option.label[language]) for option in item.options)
    return ()


def take_reply(
    protocol: Protocol,
    state: CheckInState,
    reply: str | Photo,
    language: str,
    history: Sequence[PastCheckIn] = (),
) -> ReplyResult:
    """Apply the patient's reply to the current question, and score the answers it leaves
    (once). ``history`` is used to score."""
    kind = state.kind.value
    fired = state.fired
    if fired is None:  # stored before the state kept its rules: as they stood then
        fired = _fired(score(protocol, state.pod, state.answers, history, kind))
    step = _step(protocol, state)
    reask = None
    if step is not None:
        item, group, together = step
        if group is not None:
            updated, reask = _group_reply(protocol, state, group, together, reply, language)
        else:
            updated, reask = _item_reply(protocol, state, item, reply, language)
        state = updated
    after = score(protocol, state.pod, state.answers, history, kind)
    if reask is None:
        state = replace(state, fired=_fired(after))
    return ReplyResult(
        state=state,
        reask=reask,
        assessment=after,
        new_findings=tuple(f for f in after.findings if f.rule not in fired),
        next_question=next_question(protocol, state, language),
    )


def _item_reply(
    protocol: Protocol, state: CheckInState, item: Item, reply: str | Photo, language: str
) -> tuple[CheckInState, str | None]:
    parsed = parse_reply(item, reply, language, protocol.wordings[language])
    if isinstance(parsed, ReAsk):
        return state, parsed.hint
    if isinstance(parsed, Skipped):
        return replace(state, skipped=state.skipped | {item.id}), None
    assert isinstance(parsed, Accepted)
    confirm = item.confirm if isinstance(item, NumberItem) else None
    if (
        confirm is not None
        and item.id not in state.confirming
        and answer_test(item, confirm)({item.id: parsed.value})
    ):
        # Not a re-ask: the state moves on, and the next question is this one's ``confirm``.
        return replace(state, confirming=state.confirming | {item.id}), None
    return replace(state, answers={**state.answers, item.id: parsed.value}), None


def _group_reply(
    protocol: Protocol,
    state: CheckInState,
    group: Group,
    together: list[str],
    reply: str | Photo,
    language: str,
) -> tuple[CheckInState, str | None]:
    wording = protocol.wordings[language]
    text = plain(reply) if isinstance(reply, str) else ""
    # The buttons' ids or labels (in any of the protocol's languages); "no" to "do you have
    # any of these?" means none of them, "yes" means some.
    said = read_yes_no(text, wording)
    wordings = protocol.wordings.values()
    if text in {NONE_OF_THESE, *(plain(w.none_of_these) for w in wordings)} or said is False:
        reassuring: dict[str, AnswerValue] = {}
        for item_id in together:
            grouped = protocol.item(item_id)
            assert isinstance(grouped, YesNoItem)
            reassuring[item_id] = not grouped.concerning
        return replace(state, answers={**state.answers, **reassuring}), None
    if text in {SOME_OF_THESE, *(plain(w.some_of_these) for w in wordings)} or said is True:
        return replace(state, opened=state.opened | {group.id}), None
    return state, wording.reask_choice
