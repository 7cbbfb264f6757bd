"""Telegram updates as the poller stores them (plain JSON), well-formed and not.

Builders take who may send (user ids and chats); ``broken`` then removes fields, swaps
types and adds nonsense, so the same shapes also come malformed. Updates carry no
``update_id``: the runner numbers them, unless a broken one lost or garbled it on purpose.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import strategies as st

from tests.fuzzing.texts import texts

JSON = dict[str, Any]
Strategy = st.SearchStrategy

DATE = 1_772_460_000  # around the journeys' surgery date
# Telegram's ids fit in 52 bits; chats of groups and channels are negative.
USER_IDS = st.integers(1, 2**52)
GROUP_IDS = st.integers(-(2**52), -1)

STILL = {"is_animated": False, "is_video": False}
KINDS_OF_UPDATE = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_message",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "message_reaction",
)


@cache
def json_values(max_leaves: int = 6) -> Strategy[Any]:
    """Any JSON value, as Python's json module would read it (no NaN)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.floats(allow_nan=False, allow_infinity=False)
        | texts()
    )
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=max_leaves,
    )


def user(ids: Strategy[int]) -> Strategy[JSON]:
    return st.fixed_dictionaries(
        {"id": ids, "is_bot": st.booleans(), "first_name": texts()},
        optional={
            "last_name": texts(),
            "username": st.from_regex(r"[A-Za-z][A-Za-z0-9_]{4,31}", fullmatch=True),
            "language_code": st.sampled_from(["en", "es", "pt-br", "zh-hans", "xx", ""]) | texts(),
            "is_premium": st.booleans(),
        },
    )


def private_chat(user_id: int) -> JSON:
    return {"id": user_id, "type": "private", "first_name": "someone"}


def group_chat(ids: Strategy[int] = GROUP_IDS) -> Strategy[JSON]:
    return st.fixed_dictionaries(
        {
            "id": ids,
            "type": st.sampled_from(["group", "supergroup", "channel", "sender", "private", "?"]),
            "title": texts(),
        }
    )


@cache
def _sizes() -> Strategy[JSON]:
    return st.fixed_dictionaries(
        {
            "file_id": st.text(min_size=1, max_size=80),
            "file_unique_id": st.text(min_size=1, max_size=20),
            "width": st.integers(0, 10_000),
            "height": st.integers(0, 10_000),
        },
        optional={"file_size": st.integers(0, 2**31)},
    )


@cache
def _file() -> Strategy[JSON]:
    return st.fixed_dictionaries(
        {"file_id": st.text(min_size=1, max_size=80), "file_unique_id": st.text(max_size=20)},
        optional={"file_name": texts(), "mime_type": texts(), "file_size": st.integers(0, 2**40)},
    )


COMMANDS = ["start", "help", "checkin", "status", "stop", "language", "timezone", "alerts"]


@cache
def commands() -> Strategy[JSON]:
    """The bot's commands (and others), maybe for another bot, maybe with arguments."""
    name = st.sampled_from(COMMANDS) | st.text(max_size=10)
    addressed = st.sampled_from(["", "@eras_sandbox_bot", "@other_bot", "@"])
    return st.builds(
        lambda n, to, args: {
            "text": f"/{n}{to}{args}",
            "entities": [{"type": "bot_command", "offset": 0, "length": 1 + len(n + to)}],
        },
        name,
        addressed,
        st.just("") | texts().map(lambda a: " " + a),
    )


@cache
def content() -> Strategy[JSON]:
    """What a message carries: text (with or without entities) or anything but text."""
    text = st.builds(lambda t: {"text": t}, texts())
    command = st.builds(
        lambda t, length: {
            "text": t,
            "entities": [{"type": "bot_command", "offset": 0, "length": length}],
        },
        texts().map(lambda t: "/" + t),
        st.integers(-5, 5000),
    )
    entities = st.builds(
        lambda t, e: {"text": t, "entities": e},
        texts(),
        st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["bot_command", "url", "bold", "mention", "nonsense"]),
                    "offset": st.integers(-10, 5000),
                    "length": st.integers(-10, 5000),
                }
            ),
            max_size=3,
        ),
    )
    media = st.one_of(
        st.builds(lambda p, c: {"photo": p, **c}, st.lists(_sizes(), max_size=3), _caption()),
        st.builds(lambda s: {"sticker": {**s, "type": "regular", **STILL}}, _sizes()),
        st.builds(lambda d, c: {"document": d, **c}, _file(), _caption()),
        st.builds(lambda v: {"voice": {**v, "duration": 3}}, _file()),
        st.builds(lambda v: {"video_note": {**v, "length": 240, "duration": 2}}, _file()),
        st.builds(
            lambda lat, lon: {"location": {"latitude": lat, "longitude": lon}},
            st.floats(-90, 90),
            st.floats(-180, 180),
        ),
        st.builds(
            lambda phone, name, uid: {
                "contact": {"phone_number": phone, "first_name": name, "user_id": uid}
            },
            texts(),
            texts(),
            USER_IDS,
        ),
        st.builds(lambda v: {"dice": {"emoji": "🎲", "value": v}}, st.integers(-1, 7)),
        st.just({"new_chat_members": [{"id": 5, "is_bot": False, "first_name": "x"}]}),
        st.just({"left_chat_member": {"id": 5, "is_bot": False, "first_name": "x"}}),
        st.just({"migrate_to_chat_id": -1_000_000_000_001}),
        st.just({}),  # nothing at all
    )
    return st.one_of(text, commands(), command, entities, media)


@cache
def _caption() -> Strategy[JSON]:
    return st.one_of(st.just({}), st.builds(lambda c: {"caption": c}, texts()))


def message(sender: Strategy[JSON], chat: Callable[[JSON], Strategy[JSON]]) -> Strategy[JSON]:
    """A message by ``sender`` in ``chat(sender)`` (their private chat, a group, a channel)."""

    @st.composite
    def build(draw: st.DrawFn) -> JSON:
        who = draw(sender)
        found: JSON = {
            "message_id": draw(st.integers(1, 2**31)),
            "date": DATE + draw(st.integers(0, 10**6)),
            "chat": draw(chat(who)),
            **draw(content()),
        }
        if draw(st.integers(0, 9)):  # channel posts come without a sender
            found["from"] = who
        if not draw(st.integers(0, 4)):
            found["reply_to_message"] = {
                "message_id": draw(st.integers(1, 2**31)),
                "date": DATE,
                "chat": found["chat"],
                **draw(content()),
            }
        return found

    return build()


def as_update(kind: str, body: Strategy[JSON]) -> Strategy[JSON]:
    return body.map(lambda inside: {kind: inside})


def edited(message_: Strategy[JSON]) -> Strategy[JSON]:
    return message_.map(lambda m: {**m, "edit_date": m["date"] + 60})


def callback_query(
    sender: Strategy[JSON], data: Strategy[str], messages: Strategy[JSON | None]
) -> Strategy[JSON]:
    """A button press: any data, on a message that may be gone or inaccessible."""

    @st.composite
    def build(draw: st.DrawFn) -> JSON:
        query: JSON = {
            "id": str(draw(st.integers(0, 2**63))),
            "from": draw(sender),
            "chat_instance": draw(st.text(max_size=20)),
        }
        if draw(st.integers(0, 9)):
            query["data"] = draw(data)
        else:
            query["game_short_name"] = draw(st.text(max_size=10))
        shown = draw(messages)
        if shown is not None:
            query["message"] = shown
        else:
            query["inline_message_id"] = draw(st.text(max_size=20))
        return {"callback_query": query}

    return build()


def other_kinds(sender: Strategy[JSON]) -> Strategy[JSON]:
    """Updates the bot never asked for, and kinds Telegram does not have."""
    member = st.fixed_dictionaries({"status": st.sampled_from(["member", "kicked", "left", "?"])})
    chat_event = st.fixed_dictionaries(
        {
            "chat": group_chat() | USER_IDS.map(private_chat),
            "from": sender,
            "date": st.just(DATE),
            "old_chat_member": member.map(lambda m: {**m, "user": {"id": 1}}),
            "new_chat_member": member.map(lambda m: {**m, "user": {"id": 1}}),
        }
    )
    return st.one_of(
        as_update(
            "inline_query",
            st.fixed_dictionaries(
                {"id": st.text(max_size=9), "from": sender, "query": texts(), "offset": texts()}
            ),
        ),
        as_update(
            "chosen_inline_result",
            st.fixed_dictionaries(
                {"result_id": st.text(max_size=9), "from": sender, "query": texts()}
            ),
        ),
        as_update(
            "poll_answer",
            st.fixed_dictionaries(
                {
                    "poll_id": st.text(max_size=9),
                    "user": sender,
                    "option_ids": st.lists(st.integers(-1, 9), max_size=3),
                }
            ),
        ),
        as_update("my_chat_member", chat_event),
        as_update("chat_member", chat_event),
        as_update(
            "message_reaction",
            st.fixed_dictionaries(
                {
                    "chat": group_chat(),
                    "message_id": st.integers(1, 2**31),
                    "date": st.just(DATE),
                    "old_reaction": st.just([]),
                    "new_reaction": st.just([{"type": "emoji", "emoji": "👍"}]),
                }
            ),
        ),
        st.builds(
            lambda kind, value: {kind: value},
            st.sampled_from(KINDS_OF_UPDATE) | st.text(max_size=12),
            json_values(),
        ),
        st.just({}),
    )


@st.composite
def _broken(draw: st.DrawFn, update: JSON) -> JSON:
    """The update with a few fields dropped, retyped or invented, anywhere in it."""
    update = copy.deepcopy(update)  # strategies may share constants; never change those
    for _ in range(draw(st.integers(1, 3))):
        node: Any = update
        while True:
            keys = sorted(node) if isinstance(node, dict) else list(range(len(node)))
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            child = node[key]
            if isinstance(child, dict | list) and child and draw(st.booleans()):
                node = child
                continue
            action = draw(st.sampled_from(["drop", "retype", "add"]))
            if action == "drop":
                del node[key]
            elif action == "retype":
                node[key] = draw(json_values(max_leaves=3))
            elif isinstance(node, dict):
                node[draw(st.text(max_size=12))] = draw(json_values(max_leaves=3))
            break
    return update


def broken(updates: Strategy[JSON]) -> Strategy[JSON]:
    """``updates`` made malformed; ``update_id`` itself may go missing or change type."""
    return updates.map(lambda u: {"update_id": 0, **u}).flatmap(_broken)
