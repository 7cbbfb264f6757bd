"""Fuzzing: a button's data is only a request, whoever presses it and whatever it says.

Patients and nurses of the running ward (``tests.fuzzing.world``) press buttons whose data
they made up: answers for another patient's check-in or for a question not being asked,
replies the question does not accept, another episode's consent, languages that do not
exist; nurses acknowledge and resolve other teams' alerts, with outcomes and grades that do
not exist, ids in other scripts' digits, the wrong number of parts; and garbage. Buttons are
written as the bot writes them now, or as it wrote them before versions
(``tests.fuzzing.buttons``). Each goes straight to ``Application.process_update``.

None of it records an answer or changes anything clinical; no handler fails. Allowed:
audit entries of refusals, replies to the person who pressed (or the chat of the message).
"""

from __future__ import annotations

from collections.abc import Collection

from hypothesis import strategies as st

from bot.telegram.callbacks import (
    ID_MAX,
    PATIENT_PRESSES,
    Acknowledge,
    AnswerChoice,
    ChooseLanguage,
    Consent,
    Pause,
    Press,
    Resolve,
    ResolveGraded,
    ResolveWith,
    Setting,
    SettingsChoice,
    decode,
)
from bot.telegram.render.team import GRADES, OUTCOMES
from flows import CheckInState, take_reply
from tests.fuzzing.buttons import (
    any_presses,
    identifiers,
    languages,
    mangled,
    words,
    written,
)
from tests.fuzzing.harness import Fuzzing, batches, ids_in
from tests.fuzzing.snapshot import Baseline, Snapshot
from tests.fuzzing.texts import texts
from tests.fuzzing.updates import JSON, callback_query, private_chat, user
from tests.fuzzing.world import PARKED_AT, Cast

# Ids the way a forged button may write them: other scripts' digits, signs, spaces.
ODD_IDS = ["", "0", "-1", "+1", " 1", "1 ", "²", "١", "１", "𝟏", "99999999999", "1" * 12, "1.0"]
# Choices a button can carry, whether the question takes them or not.
REPLIES = ["1", "2", "yes", "no", "none", "some", "skip", "soaked", "dry", "0", "10"]


def replies() -> st.SearchStrategy[str]:
    return st.sampled_from(REPLIES) | words()


def unknown(known: Collection[str]) -> st.SearchStrategy[str]:
    return words().filter(lambda word: word not in known)


def any_alert_but(alert: int) -> st.SearchStrategy[int]:
    return st.integers(0, ID_MAX).filter(lambda other: other != alert)


def garbage() -> st.SearchStrategy[str]:
    """Data no handler takes: made up, or a real button's with a part replaced, added or
    missing."""
    return (texts() | mangled(any_presses(), st.sampled_from(ODD_IDS) | texts())).filter(
        lambda data: decode(data) is None
    )


def refused_by(cast: Cast, conversation: dict[str, object], reply: str) -> bool:
    """True when the check-in would ask again rather than take ``reply``."""
    state = CheckInState.from_json(conversation)
    return take_reply(cast.protocol, state, reply, "en").reask is not None


def answers(
    cast: Cast, checkin: int, asked: str, conversation: dict[str, object]
) -> st.SearchStrategy[Press]:
    """An answer button of ``checkin`` that cannot be taken: a question not being asked, or
    a reply the question refuses."""
    questions = st.sampled_from([item.id for item in cast.protocol.items]) | identifiers()
    other_question = st.builds(
        AnswerChoice, st.just(checkin), questions.filter(lambda q: q != asked), replies()
    )
    refused = replies().filter(lambda r: refused_by(cast, conversation, r))
    return other_question | st.builds(AnswerChoice, st.just(checkin), st.just(asked), refused)


def alert_presses(alert_ids: st.SearchStrategy[int]) -> st.SearchStrategy[Press]:
    """Any alert button, for any alert: to be pressed by someone who may not act on it."""
    outcomes = st.sampled_from(list(OUTCOMES)) | words()
    return st.one_of(
        st.builds(Acknowledge, alert_ids),
        st.builds(Resolve, alert_ids),
        st.builds(ResolveWith, alert_ids, outcomes),
        st.builds(ResolveGraded, alert_ids, outcomes, st.sampled_from(GRADES) | words()),
    )


def bad_choices(alert: int) -> st.SearchStrategy[str]:
    """Buttons of an alert the presser may act on, with what no card offers, or with one
    part too many."""
    this = st.just(alert)
    outcomes, grades = st.sampled_from(list(OUTCOMES)), st.sampled_from(GRADES)
    extended = st.builds(Acknowledge, this) | st.builds(Resolve, this)
    return st.one_of(
        written(st.builds(ResolveWith, this, unknown(OUTCOMES))),
        written(st.builds(ResolveGraded, this, outcomes, unknown(GRADES))),
        written(st.builds(ResolveGraded, this, unknown(OUTCOMES), grades)),
        st.builds(lambda data, extra: f"{data}:{extra}", written(extended), texts()),
    )


def patient_presses(cast: Cast, mine: int, episode: int) -> st.SearchStrategy[str]:
    """What a patient may press and should change nothing (``mine``: their check-in)."""
    others = [c for c in (cast.maria_checkin, cast.bob_checkin) if c != mine]
    conversation, asked = (
        (cast.parked, PARKED_AT) if mine == cast.maria_checkin else (cast.bob_at, "red_flags")
    )
    everyone = st.sampled_from([cast.spine_alert, cast.ortho_alert]) | st.integers(0, ID_MAX)
    return st.one_of(
        written(answers(cast, mine, asked, conversation)),
        *(written(st.builds(AnswerChoice, st.just(c), identifiers(), replies())) for c in others),
        written(st.builds(Consent, st.sampled_from([episode, episode + 1000]), st.booleans())),
        written(st.builds(ChooseLanguage, languages().filter(lambda x: x not in ("en", "es")))),
        written(st.builds(SettingsChoice, st.sampled_from([Setting.OK, Setting.LANGUAGE]))),
        written(st.just(Pause(confirmed=False))),
        written(alert_presses(everyone)),
        garbage(),
    )


def nurse_presses(own: int, other: int) -> st.SearchStrategy[str]:
    """What a nurse may press and should change nothing (``own``: her team's alert)."""
    return st.one_of(
        written(alert_presses(st.just(other) | any_alert_but(own))),
        bad_choices(own),
        written(any_presses().filter(lambda press: isinstance(press, PATIENT_PRESSES))),
        garbage(),
    )


def presses(cast: Cast) -> st.SearchStrategy[JSON]:
    """A forged press by one of the ward's people, on a message in their chat or the ward."""

    def by(person_id: int, data: st.SearchStrategy[str]) -> st.SearchStrategy[JSON]:
        where = [private_chat(person_id), cast.ward.as_chat(), cast.ortho_ward.as_chat()]
        shown = st.none() | st.sampled_from(where).map(
            lambda chat: {"message_id": 1, "date": 1_772_460_000, "chat": chat}
        )
        who = user(st.just(person_id)).map(lambda u: {**u, "is_bot": False})
        return callback_query(who, data, shown)

    return st.one_of(
        by(cast.maria.id, patient_presses(cast, cast.maria_checkin, cast.maria_episode)),
        by(cast.bob.id, patient_presses(cast, cast.bob_checkin, cast.bob_episode)),
        by(cast.carla.id, patient_presses(cast, 0, 0)),  # 0: no check-in, no episode
        by(cast.ana.id, nurse_presses(cast.spine_alert, cast.ortho_alert)),
        by(cast.olga.id, nurse_presses(cast.ortho_alert, cast.spine_alert)),
    )


async def test_forged_buttons_never_record_an_answer_or_act_on_an_alert(
    cast: Cast, fuzzing: Fuzzing
) -> None:
    runtime, failures = cast.journey.runtime, fuzzing.failures
    feeder = fuzzing.feeder(runtime)
    baseline = Baseline(runtime.sessions)

    async def example(updates: list[JSON]) -> None:
        before = await baseline.take()
        fed = await feeder.straight(updates)
        after = await Snapshot.take(runtime.sessions)
        audit, outbox = await before.added_since(runtime.sessions)
        changes = before.changes_to(after)
        assert failures.take() == []
        assert [str(c) for c in changes if c.table == "answers"] == [], "an answer was recorded"
        assert [str(c) for c in changes if c.table in ("alerts", "alert_events")] == []
        assert [str(c) for c in changes] == []
        assert [(e.action, e.outcome) for e in audit if e.outcome != "refused"] == []
        replies_to = set().union(*map(ids_in, fed))
        assert [(m.chat_id, m.purpose) for m in outbox if m.chat_id not in replies_to] == []
        baseline.keep(after)

    updates = batches(presses(cast))
    await fuzzing.run(updates, example)
