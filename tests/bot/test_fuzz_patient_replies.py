"""Fuzzing: a patient asked for her temperature may type anything; only a real answer counts.

Maria (``tests.fuzzing.world``) is asked her temperature and replies with whatever
hypothesis finds: odd Unicode, digits of other scripts, numbers with and without units,
commands, menu words, more than Telegram allows; photos, stickers, documents, locations,
contacts; edits of what she wrote. Each goes through the inbox, as the poller stores it.

What she sends is hers to send, so her own follow-up may move on (an answer taken, the
next question, a concern started, her time zone). Checked after each: nothing raised and
no handler failed; every answer recorded is a valid value for its question; nothing
changed for anyone else (other patients, other teams' alerts, staff); replies went only
to her and to her team's chat. She is then asked her temperature again.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st

from bot.i18n import t
from flows import answers_problems
from tests.fuzzing.harness import Fuzzing
from tests.fuzzing.snapshot import Change, Snapshot
from tests.fuzzing.texts import texts, zones
from tests.fuzzing.updates import (
    COMMANDS,
    JSON,
    as_update,
    content,
    edited,
    message,
    private_chat,
    user,
)
from tests.fuzzing.world import Cast

MENU = [t(lang, key) for lang in ("en", "es") for key in ("menu_concern", "menu_checkin")]


def her_commands() -> st.SearchStrategy[JSON]:
    """Her own commands, often: what follows one (a time zone, a concern) is what counts."""
    return st.builds(
        lambda name, args: {
            "text": f"/{name}{args}",
            "entities": [{"type": "bot_command", "offset": 0, "length": 1 + len(name)}],
        },
        st.sampled_from([c for c in COMMANDS if c != "alerts"]),
        st.just("") | texts().map(lambda a: " " + a),
    )


def replies(cast: Cast) -> st.SearchStrategy[list[JSON]]:
    """What she sends, in scenes: a few messages, or a command and what she types after it."""
    maria = user(st.just(cast.maria.id)).map(lambda u: {**u, "is_bot": False})
    typed = st.one_of(texts(), zones(), st.sampled_from(MENU)).map(lambda text: {"text": text})
    said = message(maria, lambda who: st.just(private_chat(who["id"])))

    def saying(what: st.SearchStrategy[JSON]) -> st.SearchStrategy[JSON]:
        return st.builds(lambda m, c: {**_without_content(m), **c}, said, what)

    answer = as_update("message", saying(typed))
    one = st.one_of(
        answer,
        as_update("message", saying(content())),
        as_update("edited_message", edited(saying(typed | content()))),
    )
    command = as_update("message", saying(her_commands()))
    scene = st.lists(one, min_size=1, max_size=3) | st.tuples(command, answer).map(list)
    return st.lists(scene, min_size=1, max_size=8).map(lambda s: [u for part in s for u in part])


def _without_content(message_: JSON) -> JSON:
    keep = ("message_id", "date", "chat", "from")
    return {k: v for k, v in message_.items() if k in keep}


def hers(cast: Cast, change: Change, after: Snapshot) -> bool:
    """Whether a changed row belongs to Maria's own follow-up."""
    row, episode = change.row, cast.maria_episode

    def of_hers(table: str) -> set[int]:
        rows = after.rows.items()
        return {key[1][0] for key, r in rows if key[0] == table and r["episode_id"] == episode}

    owner: dict[str, Callable[[], bool]] = {
        "patients": lambda: row["telegram_user_id"] == cast.maria.id,
        "episodes": lambda: row["id"] == episode,
        "checkins": lambda: row["episode_id"] == episode,
        "answers": lambda: row["checkin_id"] in of_hers("checkins"),
        "alerts": lambda: row["episode_id"] == episode,
        "alert_events": lambda: row["alert_id"] in of_hers("alerts"),
        "patient_messages": lambda: row["episode_id"] == episode,
    }
    return change.table in owner and owner[change.table]()


async def test_whatever_a_patient_types_only_a_valid_answer_is_recorded(
    cast: Cast, fuzzing: Fuzzing
) -> None:
    runtime, failures = cast.journey.runtime, fuzzing.failures
    feeder = fuzzing.feeder(runtime)
    seen = {"answered": 0, "asked_again": 0}

    async def example(updates: list[JSON]) -> None:
        await cast.ask_temperature_again()
        before = await Snapshot.take(runtime.sessions)
        await feeder.through_inbox(updates)
        after = await Snapshot.take(runtime.sessions)
        audit, outbox = await before.added_since(runtime.sessions)
        changes = before.changes_to(after)
        assert failures.take() == []
        assert [str(c) for c in changes if not hers(cast, c, after)] == []
        recorded = [c.row for c in changes if c.table == "answers"]
        problems = [answers_problems(cast.protocol, {a["item_id"]: a["value"]}) for a in recorded]
        assert [p for p in problems if p] == []
        # A voice message answers no question: it is kept for her team, and audited so.
        kept = ("message.from_patient", "done")
        done = [(e.action, e.outcome) for e in audit if e.outcome != "refused"]
        assert [d for d in done if d != kept] == []
        chats = {cast.maria.id, cast.ward.id}
        assert [(m.chat_id, m.purpose) for m in outbox if m.chat_id not in chats] == []
        seen["answered" if recorded else "asked_again"] += 1

    await fuzzing.run(replies(cast), example)
    # Both paths, for certain whatever was drawn: a temperature she may give, and nonsense.
    for typed in ("37.2", "thirty-seven"):
        await example([_typed_by(cast, typed)])
    assert seen["answered"] and seen["asked_again"], seen


def _typed_by(cast: Cast, text: str) -> JSON:
    who = {"id": cast.maria.id, "is_bot": False, "first_name": "someone"}
    chat = private_chat(cast.maria.id)
    message_ = {"message_id": 1, "date": 1_772_000_000, "chat": chat, "from": who, "text": text}
    return {"message": message_}
