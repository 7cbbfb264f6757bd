"""Fuzzing: a button's data is only a request, whoever presses it and whatever it says.

Patients and nurses of the running ward (``tests.fuzzing.world``) press buttons whose data
they made up: answers for another patient's check-in or for a question not being asked,
replies the question does not accept, another episode's consent, languages that do not
exist; nurses acknowledge and resolve other teams' alerts, with outcomes and grades that do
not exist, ids in other scripts' digits, the wrong number of parts; and garbage. Each goes
straight to ``Application.process_update``.

None of it records an answer or changes anything clinical; no handler fails. Allowed:
audit entries of refusals, replies to the person who pressed (or the chat of the message).
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

from bot.telegram.render.team import GRADES, OUTCOMES
from flows import CheckInState, take_reply
from tests.fuzzing.harness import Fuzzing, batches, ids_in
from tests.fuzzing.snapshot import Baseline, Snapshot
from tests.fuzzing.texts import texts
from tests.fuzzing.updates import JSON, callback_query, private_chat, user
from tests.fuzzing.world import PARKED_AT, Cast

HANDLED = re.compile(r"^[acslpkrog]:")
# Ids the way a forged button may write them: other scripts' digits, signs, spaces.
ODD_IDS = ["", "0", "-1", "+1", " 1", "1 ", "²", "١", "１", "𝟏", "99999999999", "1" * 12, "1.0"]
REPLIES = ["1", "2", "yes", "no", "none", "some", "skip", "37.5", "soaked", "dry", "0", "10"]


def replies() -> st.SearchStrategy[str]:
    return st.sampled_from(REPLIES) | texts()


def garbage() -> st.SearchStrategy[str]:
    """Data no handler takes."""
    return texts().filter(lambda data: not HANDLED.match(data))


def refused_by(cast: Cast, conversation: dict[str, object], reply: str) -> bool:
    """True when the check-in would ask again rather than take ``reply``."""
    state = CheckInState.from_json(conversation)
    return take_reply(cast.protocol, state, reply, "en").reask is not None


def answers(
    cast: Cast, checkin: int, asked: str, conversation: dict[str, object]
) -> st.SearchStrategy[str]:
    """An answer button of ``checkin`` that cannot be taken: a question not being asked, or
    a reply the question refuses."""
    questions = st.sampled_from([item.id for item in cast.protocol.items]) | texts()
    other_question = st.builds(
        lambda q, r: f"a:{checkin}:{q}:{r}",
        questions.filter(lambda q: q != asked and ":" not in q),
        replies(),
    )
    refused = replies().filter(lambda r: refused_by(cast, conversation, r))
    return other_question | refused.map(lambda r: f"a:{checkin}:{asked}:{r}")


def alert_presses(alert_ids: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Any alert button, for any alert: to be pressed by someone who may not act on it."""
    return st.one_of(
        st.builds(lambda k, a: f"{k}:{a}", st.sampled_from("kr"), alert_ids),
        st.builds(lambda a, o: f"o:{a}:{o}", alert_ids, st.sampled_from(list(OUTCOMES)) | texts()),
        st.builds(
            lambda a, o, g: f"g:{a}:{o}:{g}",
            alert_ids,
            st.sampled_from(list(OUTCOMES)) | texts(),
            st.sampled_from(GRADES) | texts(),
        ),
    )


def bad_choices(alert: int) -> st.SearchStrategy[str]:
    """Buttons of an alert the presser may act on, with what no card offers."""
    outcomes = st.sampled_from(list(OUTCOMES))
    return st.one_of(
        texts().filter(lambda o: o not in OUTCOMES).map(lambda o: f"o:{alert}:{o}"),
        st.builds(
            lambda o, g: f"g:{alert}:{o}:{g}",
            outcomes,
            texts().filter(lambda g: g not in GRADES),
        ),
        st.builds(
            lambda o, g: f"g:{alert}:{o}:{g}",
            texts().filter(lambda o: o not in OUTCOMES),
            st.sampled_from(GRADES),
        ),
        st.builds(lambda k, extra: f"{k}:{alert}:{extra}", st.sampled_from("kr"), texts()),
    )


def patient_presses(cast: Cast, mine: int, episode: int) -> st.SearchStrategy[str]:
    """What a patient may press and should change nothing (``mine``: their check-in)."""
    others = [c for c in (cast.maria_checkin, cast.bob_checkin) if c != mine]
    conversation, asked = (
        (cast.parked, PARKED_AT) if mine == cast.maria_checkin else (cast.bob_at, "red_flags")
    )
    everyone = st.sampled_from([str(a) for a in (cast.spine_alert, cast.ortho_alert)])
    return st.one_of(
        answers(cast, mine, asked, conversation),
        *(st.builds(lambda q, r, c=c: f"a:{c}:{q}:{r}", texts(), replies()) for c in others),
        st.builds(lambda e, r: f"c:{e}:{r}", st.sampled_from([episode, episode + 1000]), replies()),
        texts().filter(lambda x: x not in ("en", "es")).map(lambda x: f"l:{x}"),
        texts().filter(lambda x: x != "timezone").map(lambda x: f"s:{x}"),
        texts().filter(lambda x: x != "yes").map(lambda x: f"p:{x}"),
        alert_presses(everyone | st.sampled_from(ODD_IDS) | texts()),
        garbage(),
    )


def nurse_presses(own: int, other: int) -> st.SearchStrategy[str]:
    """What a nurse may press and should change nothing (``own``: her team's alert)."""
    return st.one_of(
        alert_presses(st.sampled_from([str(other), *ODD_IDS]) | texts()),
        bad_choices(own),
        st.builds(lambda k, rest: f"{k}:{rest}", st.sampled_from("acslp"), texts()),
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
        by(cast.carla.id, patient_presses(cast, -1, -1)),
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
