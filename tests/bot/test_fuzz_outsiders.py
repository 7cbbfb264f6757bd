"""Fuzzing: whatever reaches the inbox from outside the follow-up changes nothing clinical.

Hypothesis throws updates at a running ward (``tests.fuzzing.world``): strangers writing
anything, sending media, editing, opening made-up links and pressing buttons with the data
of real check-ins and alerts; patients and nurses writing in groups and channels; update
kinds the bot never asked for; and all of these malformed (fields missing, of the wrong
type, or invented). Each is stored in the inbox and processed, as the poller does.

Whatever comes, nothing raises, no handler fails (a failure is logged: it fails the test),
every stored update is processed, and the clinical tables are as they were. Allowed: audit
entries of refusals, and replies to the chat the update came from.

CI runs ``ERAS_FUZZ_EXAMPLES`` examples (default in ``tests.fuzzing.harness``); the long
run is documented in docs/FUZZING.md.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import select

from bot.telegram.callbacks import (
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
)
from db.models import InboxUpdate
from tests.fuzzing.buttons import mangled, written
from tests.fuzzing.harness import Fuzzing, batches, ids_in
from tests.fuzzing.snapshot import Baseline, Snapshot
from tests.fuzzing.texts import texts
from tests.fuzzing.updates import (
    GROUP_IDS,
    JSON,
    USER_IDS,
    as_update,
    broken,
    callback_query,
    edited,
    message,
    other_kinds,
    private_chat,
    user,
)
from tests.fuzzing.world import Cast

NOT_PRIVATE = ("group", "supergroup", "channel")


def button_data(cast: Cast) -> st.SearchStrategy[str]:
    """Data of buttons the ward really has (written now, or before versions), and near misses
    of it."""
    checkins, episodes = (cast.maria_checkin, cast.bob_checkin), (cast.maria_episode,)
    alerts, asked = (cast.spine_alert, cast.ortho_alert), ("temperature", "red_flags")
    real: list[Press] = [
        *(AnswerChoice(c, q, v) for c in checkins for q in asked for v in "12"),
        *(AnswerChoice(c, "red_flags", "none") for c in checkins),
        *(Consent(e, agreed) for e in episodes for agreed in (True, False)),
        *(SettingsChoice(setting) for setting in Setting),
        ChooseLanguage("es"),
        Pause(confirmed=True),
        *(Acknowledge(a) for a in alerts),
        *(Resolve(a) for a in alerts),
        *(ResolveWith(a, "advice") for a in alerts),
        *(ResolveGraded(a, "advice", "II") for a in alerts),
    ]
    return written(st.sampled_from(real)) | mangled(st.sampled_from(real), texts())


def outsiders(cast: Cast) -> st.SearchStrategy[JSON]:
    # Carla declined: she is a stranger now. The nurses are no patients: in a private chat
    # they are strangers too, but their buttons are theirs (another test forges them).
    strangers = user(USER_IDS.filter(lambda i: i not in cast.known_ids) | st.just(cast.carla.id))
    writers = strangers | user(st.sampled_from([cast.ana.id, cast.olga.id]))
    insiders = user(st.sampled_from([p.id for p in cast.people]))
    wards = [cast.ward.as_chat(), cast.ortho_ward.as_chat()]
    groups = st.sampled_from(wards) | st.fixed_dictionaries(
        {"id": GROUP_IDS, "type": st.sampled_from(NOT_PRIVATE), "title": texts()}
    )

    def stranger_chat(who: JSON) -> st.SearchStrategy[JSON]:
        return st.just(private_chat(who["id"])) | groups

    messages = message(writers, stranger_chat) | message(insiders, lambda _: groups)
    well_formed = st.one_of(
        as_update("message", messages),
        as_update("edited_message", edited(messages)),
        as_update("channel_post", messages),
        as_update("edited_channel_post", edited(messages)),
        callback_query(strangers, button_data(cast), st.none() | messages),
        other_kinds(strangers | insiders),
    )
    return well_formed | broken(well_formed)


def from_outside(update: JSON, cast: Cast) -> bool:
    """Neither a followed patient in a private chat (a broken update may turn Maria's group
    message into a private one: that is her talking to the bot, which is valid) nor a
    nurse asking for /alerts (also valid: that view is audited as done)."""
    mentioned = ids_in(update)
    if mentioned & {cast.maria.id, cast.bob.id} and _mentions_private(update):
        return False
    return not (mentioned & {cast.ana.id, cast.olga.id} and "alerts" in json.dumps(update))


def _mentions_private(node: Any) -> bool:
    if isinstance(node, dict):
        return node.get("type") == "private" or any(map(_mentions_private, node.values()))
    if isinstance(node, list):
        return any(map(_mentions_private, node))
    return False


async def test_updates_from_outside_the_follow_up_change_nothing(
    cast: Cast, fuzzing: Fuzzing
) -> None:
    runtime, failures = cast.journey.runtime, fuzzing.failures
    feeder = fuzzing.feeder(runtime)
    baseline = Baseline(runtime.sessions)

    async def example(updates: list[JSON]) -> None:
        before = await baseline.take()
        fed = await feeder.through_inbox([u for u in updates if from_outside(u, cast)])
        after = await Snapshot.take(runtime.sessions)
        audit, outbox = await before.added_since(runtime.sessions)
        assert failures.take() == []
        assert [str(c) for c in before.changes_to(after)] == []
        assert [(e.action, e.outcome) for e in audit if e.outcome != "refused"] == []
        replies_to = set().union(*map(ids_in, fed))
        assert [(m.chat_id, m.purpose) for m in outbox if m.chat_id not in replies_to] == []
        async with runtime.sessions() as session:
            waiting = await session.scalars(
                select(InboxUpdate.update_id).where(InboxUpdate.processed_at.is_(None))
            )
            assert list(waiting) == []
        baseline.keep(after)

    await fuzzing.run(batches(outsiders(cast)), example)
