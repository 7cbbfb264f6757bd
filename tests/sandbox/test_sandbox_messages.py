"""Messages as Telegram keeps them: who may be written to, keyboards, edits, replies."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LoginUrl,
    MenuButtonCommands,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram import error as tg
from telegram.constants import ChatAction, ChatType, ParseMode

from bot.sandbox import Person, Sandbox

ACK = InlineKeyboardMarkup([[InlineKeyboardButton("Acknowledge", callback_data="ack:7")]])


def patient(sandbox: Sandbox, name: str = "Alice") -> Person:
    """Someone who has written to the bot, so the bot may write to them."""
    person = sandbox.user(name)
    sandbox.send_text(person, "/start")
    return person


async def test_a_sent_message_is_a_complete_message_from_the_bot(
    sandbox: Sandbox, bot: Bot
) -> None:
    alice = patient(sandbox)

    first = await bot.send_message(alice.chat_id, "How is your pain today?")
    second = await bot.send_message(alice.chat_id, "And walking?")

    assert first.from_user is not None and first.from_user.username == sandbox.bot_username
    assert first.from_user.is_bot
    assert first.chat.type == ChatType.PRIVATE
    assert first.date is not None
    assert second.message_id == first.message_id + 1  # after Alice's /start, numbered per chat
    assert [m["text"] for m in sandbox.messages_to(alice)] == [
        "How is your pain today?",
        "And walking?",
    ]


async def test_group_and_supergroup_chats_have_their_type_and_title(
    sandbox: Sandbox, bot: Bot
) -> None:
    ward = sandbox.group("Ward 5")
    spine = sandbox.group("Spine team", supergroup=True)

    in_group = await bot.send_message(ward.chat_id, "Alert")
    in_supergroup = await bot.send_message(spine.chat_id, "Alert")

    assert (in_group.chat.type, in_group.chat.title) == (ChatType.GROUP, "Ward 5")
    assert in_supergroup.chat.type == ChatType.SUPERGROUP
    assert in_group.chat_id < 0 and str(in_supergroup.chat_id).startswith("-100")


async def test_a_bot_cannot_write_first(sandbox: Sandbox, bot: Bot) -> None:
    stranger = sandbox.user("Bob")

    with pytest.raises(tg.Forbidden, match="can't initiate conversation"):
        await bot.send_message(stranger.chat_id, "Hello")


async def test_a_person_who_opened_the_chat_earlier_can_be_written_to(
    sandbox: Sandbox, bot: Bot
) -> None:
    returning = sandbox.user("Bob", started=True)

    sent = await bot.send_message(returning.chat_id, "Check-in")

    assert sent.chat_id == returning.chat_id
    assert sandbox.pending_updates() == []


async def test_a_person_who_blocked_the_bot_cannot_be_reached(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    sandbox.block_bot(alice)

    with pytest.raises(tg.Forbidden, match="bot was blocked by the user"):
        await bot.send_message(alice.chat_id, "Check-in")

    blocked = (await bot.get_updates())[-1].my_chat_member
    assert blocked is not None and blocked.new_chat_member.status == "kicked"


async def test_writing_again_unblocks_the_bot(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    sandbox.block_bot(alice)

    sandbox.send_text(alice, "/start")

    sent = await bot.send_message(alice.chat_id, "Welcome back")
    assert sent.text == "Welcome back"
    assert sandbox.messages_to(alice)[-1]["text"] == "Welcome back"


async def test_a_deleted_account_is_deactivated(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    sandbox.delete_account(alice)

    with pytest.raises(tg.Forbidden, match="user is deactivated"):
        await bot.send_message(alice.chat_id, "Check-in")


async def test_an_unknown_chat_is_not_found(bot: Bot) -> None:
    with pytest.raises(tg.BadRequest, match="Chat not found"):
        await bot.send_message(123456789, "Hello")


async def test_html_is_turned_into_text_and_entities(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)

    sent = await bot.send_message(
        alice.chat_id, "<b>Call 112</b> if pain &gt; 8", parse_mode=ParseMode.HTML
    )

    assert sent.text == "Call 112 if pain > 8"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 8)]


@pytest.mark.parametrize(
    ("text", "options", "reason"),
    [
        ("pain <5 is fine", {"parse_mode": ParseMode.HTML}, "Can't parse entities"),
        ("Day 3.", {"parse_mode": ParseMode.MARKDOWN_V2}, "reserved and must be escaped"),
        (" ", {}, "Message text is empty"),
        ("x" * 4097, {}, "Message is too long"),
        (
            "Fever?",
            {
                "reply_markup": InlineKeyboardMarkup(
                    [[InlineKeyboardButton("Y", callback_data="x" * 65)]]
                )
            },
            "Button_data_invalid",  # callback data is at most 64 bytes
        ),
    ],
    ids=["broken html", "unescaped markdown", "empty", "too long", "long callback data"],
)
async def test_messages_telegram_would_refuse_are_refused(
    sandbox: Sandbox, bot: Bot, text: str, options: dict[str, Any], reason: str
) -> None:
    alice = patient(sandbox)

    with pytest.raises(tg.BadRequest, match=reason):
        await bot.send_message(alice.chat_id, text, **options)

    assert sandbox.messages_to(alice) == []


async def test_pressing_a_button_sends_its_callback_data(sandbox: Sandbox, bot: Bot) -> None:
    ward = sandbox.group("Ward 5")
    nurse = sandbox.user("Nina")
    ward.add_member(nurse)
    alert = await bot.send_message(ward.chat_id, "Red flag", reply_markup=ACK)
    sent = sandbox.messages_to(ward)[0]

    pressed = sandbox.press_button(nurse, sent, "ack:7")

    query = (await bot.get_updates())[-1].callback_query
    assert query is not None
    assert (query.data, query.from_user.id) == ("ack:7", nurse.id)
    assert query.message is not None and query.message.message_id == alert.message_id
    assert await query.answer("Acknowledged")
    assert sandbox.callback_answer(pressed) == {"text": "Acknowledged"}


async def test_a_button_can_be_pressed_by_its_label(sandbox: Sandbox, bot: Bot) -> None:
    ward = sandbox.group("Ward 5")
    await bot.send_message(ward.chat_id, "Red flag", reply_markup=ACK)

    update = sandbox.press_button(
        sandbox.user("Nina"), sandbox.messages_to(ward)[0], text="Acknowledge"
    )

    assert update["callback_query"]["data"] == "ack:7"


async def test_a_button_that_is_not_there_cannot_be_pressed(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    await bot.send_message(alice.chat_id, "No buttons here")

    with pytest.raises(ValueError, match="no button"):
        sandbox.press_button(alice, sandbox.messages_to(alice)[0], "ack:7")


async def test_a_callback_query_is_answered_once(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    await bot.send_message(alice.chat_id, "Red flag", reply_markup=ACK)
    update = sandbox.press_button(alice, sandbox.messages_to(alice)[0], "ack:7")
    query_id = update["callback_query"]["id"]

    await bot.answer_callback_query(query_id)

    with pytest.raises(tg.BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_editing_changes_the_message_and_the_same_edit_is_not_modified(
    sandbox: Sandbox, bot: Bot
) -> None:
    ward = sandbox.group("Ward 5")
    alert = await bot.send_message(ward.chat_id, "Red flag", reply_markup=ACK)

    edited = await bot.edit_message_text(
        "Red flag: acknowledged by Nina", ward.chat_id, alert.message_id
    )

    assert edited.edit_date is not None
    assert sandbox.messages_to(ward)[0]["text"] == "Red flag: acknowledged by Nina"
    assert "reply_markup" not in sandbox.messages_to(ward)[0]  # an edit without it drops it
    with pytest.raises(tg.BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Red flag: acknowledged by Nina", ward.chat_id, alert.message_id
        )


async def test_the_keyboard_can_be_edited_on_its_own(sandbox: Sandbox, bot: Bot) -> None:
    ward = sandbox.group("Ward 5")
    alert = await bot.send_message(ward.chat_id, "Red flag", reply_markup=ACK)

    await bot.edit_message_reply_markup(ward.chat_id, alert.message_id, reply_markup=None)

    assert "reply_markup" not in sandbox.messages_to(ward)[0]
    with pytest.raises(tg.BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(ward.chat_id, alert.message_id, reply_markup=None)


async def test_only_the_bots_own_messages_can_be_edited(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)

    with pytest.raises(tg.BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("changed", alice.chat_id, 1)
    with pytest.raises(tg.BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("changed", alice.chat_id, 99)


async def test_a_reply_carries_the_message_it_answers(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    question = sandbox.send_text(alice, "Is swelling normal?")
    assert question is not None
    asked = question["message"]["message_id"]

    answer = await bot.send_message(alice.chat_id, "Some swelling is.", reply_to_message_id=asked)

    assert answer.reply_to_message is not None
    assert answer.reply_to_message.text == "Is swelling normal?"
    with pytest.raises(tg.BadRequest, match="Message to be replied not found"):
        await bot.send_message(alice.chat_id, "?", reply_to_message_id=999)


async def test_a_reply_keyboard_is_what_the_person_sees_until_removed(
    sandbox: Sandbox, bot: Bot
) -> None:
    alice = patient(sandbox)
    scale = ReplyKeyboardMarkup([[KeyboardButton(str(n)) for n in range(4)]])

    await bot.send_message(alice.chat_id, "Pain from 0 to 3?", reply_markup=scale)
    shown = sandbox.reply_keyboard(alice)
    await bot.send_message(alice.chat_id, "Thank you", reply_markup=ReplyKeyboardRemove())

    assert shown is not None
    assert [b["text"] for b in shown["keyboard"][0]] == ["0", "1", "2", "3"]
    assert sandbox.reply_keyboard(alice) is None


async def test_messages_can_be_copied_forwarded_and_deleted(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    ward = sandbox.group("Ward 5")
    concern = sandbox.send_text(alice, "My wound is leaking")
    assert concern is not None
    message_id = concern["message"]["message_id"]

    copied = await bot.copy_message(ward.chat_id, alice.chat_id, message_id)
    forwarded = await bot.forward_message(ward.chat_id, alice.chat_id, message_id)
    await bot.delete_message(ward.chat_id, copied.message_id)

    assert forwarded.forward_origin is not None
    assert [m["text"] for m in sandbox.messages_to(ward)] == ["My wound is leaking"]
    assert sandbox.messages_to(ward)[0]["message_id"] == forwarded.message_id
    with pytest.raises(tg.BadRequest, match="Message to delete not found"):
        await bot.delete_message(ward.chat_id, copied.message_id)


async def test_in_a_group_the_bot_hears_only_its_commands_and_replies_to_it(
    sandbox: Sandbox, bot: Bot
) -> None:
    nurse = sandbox.user("Nina")
    ward = sandbox.group("Ward 5", members=(nurse,))
    alert = await bot.send_message(ward.chat_id, "Red flag")

    chatter = sandbox.send_text(nurse, "coffee anyone?", chat=ward)
    other_bot = sandbox.send_text(nurse, "/status@some_other_bot", chat=ward)
    command = sandbox.send_text(nurse, f"/patients@{sandbox.bot_username}", chat=ward)
    reply = sandbox.send_text(nurse, "on my way", chat=ward, reply_to=alert.message_id)

    assert (chatter, other_bot) == (None, None)
    assert command is not None and reply is not None
    assert [u.message.text for u in await bot.get_updates()] == [
        f"/patients@{sandbox.bot_username}",
        "on my way",
    ]


async def test_a_deep_link_arrives_as_start_with_its_payload(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")

    sandbox.open_deep_link(alice, "enrol-3f9a")

    message = (await bot.get_updates())[0].message
    assert message is not None
    assert message.text == "/start enrol-3f9a"
    assert message.parse_entities(["bot_command"]).popitem()[1] == "/start"


async def test_a_person_can_edit_what_they_wrote(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    written = sandbox.send_text(alice, "pain 9")
    assert written is not None

    sandbox.edit_text(alice, written["message"], "pain 3")

    edited = (await bot.get_updates())[-1].edited_message
    assert edited is not None and edited.text == "pain 3"


async def test_commands_menu_button_and_chat_actions(sandbox: Sandbox, bot: Bot) -> None:
    alice = patient(sandbox)
    commands = [BotCommand("start", "Begin"), BotCommand("help", "What I can do")]

    await bot.set_my_commands(commands)
    await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    await bot.send_chat_action(alice.chat_id, ChatAction.TYPING)

    assert list(await bot.get_my_commands()) == commands
    assert isinstance(await bot.get_chat_menu_button(), MenuButtonCommands)
    assert await bot.get_my_commands(language_code="ru") == ()
    with pytest.raises(tg.BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "Begin")])


async def test_get_me_is_the_bot(sandbox: Sandbox, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (sandbox.bot_id, sandbox.bot_username, True)


async def test_upgrading_a_group_tells_the_bot_the_new_id(sandbox: Sandbox, bot: Bot) -> None:
    ward = sandbox.group("Ward 5")

    spine = sandbox.migrate_to_supergroup(ward)

    old_chat, new_chat = (u.message for u in await bot.get_updates())
    assert old_chat is not None and new_chat is not None
    assert (old_chat.chat_id, old_chat.migrate_to_chat_id) == (ward.chat_id, spine.chat_id)
    assert (new_chat.chat_id, new_chat.migrate_from_chat_id) == (spine.chat_id, ward.chat_id)
    with pytest.raises(tg.ChatMigrated):
        await bot.send_message(ward.chat_id, "Alert")


async def test_the_bot_can_ask_who_is_in_a_group_and_what_a_chat_is(
    sandbox: Sandbox, bot: Bot
) -> None:
    nurse, former = sandbox.user("Ana"), sandbox.user("Bruno")
    ward = sandbox.group("Spine ward", members=(nurse, former))
    ward.remove_member(former)

    assert (await bot.get_chat_member(ward.chat_id, nurse.id)).status == "member"
    assert (await bot.get_chat_member(ward.chat_id, former.id)).status == "left"
    chat = await bot.get_chat(ward.chat_id)
    assert (chat.id, chat.type, chat.title) == (ward.chat_id, ChatType.GROUP, "Spine ward")
    assert (await bot.get_chat(nurse.chat_id)).type == ChatType.PRIVATE
    with pytest.raises(tg.BadRequest, match=r"[Cc]hat not found"):
        await bot.get_chat(-999)
    with pytest.raises(tg.BadRequest, match=r"(?i)participant_id_invalid"):
        await bot.get_chat_member(ward.chat_id, 999)
    sandbox.migrate_to_supergroup(ward)
    with pytest.raises(tg.ChatMigrated):
        await bot.get_chat_member(ward.chat_id, nurse.id)


async def test_a_login_url_button_is_taken_with_an_https_address_only(
    sandbox: Sandbox, bot: Bot
) -> None:
    ward = sandbox.group("Ward 5")
    signing_in = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open console", login_url=LoginUrl("https://eras.example.org/in"))]]
    )
    sent = await bot.send_message(ward.chat_id, "Red flag", reply_markup=signing_in)

    assert sent.reply_markup is not None
    [[button]] = sent.reply_markup.inline_keyboard
    assert button.login_url is not None and button.login_url.url == "https://eras.example.org/in"
    plain = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open console", login_url=LoginUrl("http://eras.example.org/in"))]]
    )
    with pytest.raises(tg.BadRequest, match="Button_url_invalid"):
        await bot.send_message(ward.chat_id, "Red flag", reply_markup=plain)
