"""Sending, editing, copying, forwarding and deleting messages; answering button taps."""

from __future__ import annotations

from bot.sandbox import errors
from bot.sandbox.api.methods.registry import Context, bot_method
from bot.sandbox.api.params import chat_id_of, require, require_int
from bot.sandbox.errors import bad_request
from bot.sandbox.world.formatting import format_text, utf16_len
from bot.sandbox.world.state import JSON, Chat, Conversation, require_message

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_ENVELOPE = frozenset(
    {"message_id", "from", "chat", "date", "edit_date", "reply_to_message", "reply_markup"}
)


def strip_envelope(message: JSON) -> JSON:
    """What a copy keeps of a message: its content, not who sent it where and when."""
    return {k: v for k, v in message.items() if k not in _ENVELOPE}


def formatted(ctx: Context, field: str, limit: int, too_long: str) -> JSON:
    """``text`` or ``caption`` with its entities, as Telegram stores it after parsing."""
    params = ctx.params
    source = params.get(field) or ""
    entities_field = "entities" if field == "text" else "caption_entities"
    if params.get(entities_field) is not None:
        text, entities = source, params[entities_field]
    else:
        text, entities = format_text(source, params.get("parse_mode"))
    if utf16_len(text) > limit:
        raise bad_request(too_long)
    content: JSON = {field: text} if text else {}
    if entities:
        content[entities_field] = entities
    return content


def post(ctx: Context, chat: Chat, content: JSON) -> JSON:
    """Put the bot's message in ``chat`` (with reply and keyboard) and return it as sent."""
    conversation = ctx.bot.conversation(chat.id)
    message: JSON = {
        "message_id": 0,
        "from": ctx.bot.as_user(),
        "chat": chat.as_chat(),
        "date": ctx.world.now(),
        **content,
    }
    replied = _replied_message(ctx, conversation)
    if replied is not None:
        message["reply_to_message"] = dict(replied)
    inline = keyboard(ctx, conversation)
    if inline is not None:
        message["reply_markup"] = inline
    return dict(conversation.add(message))


def keyboard(ctx: Context, conversation: Conversation) -> JSON | None:
    """The inline keyboard to attach; a reply keyboard is remembered for the chat instead."""
    markup = ctx.params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return _valid_inline_keyboard(markup)
    if "keyboard" in markup:
        conversation.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        conversation.reply_keyboard = None
    return None


def _valid_inline_keyboard(markup: JSON) -> JSON:
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("can't parse inline keyboard button: Text is empty")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            if "login_url" in button:
                _valid_login_url(button["login_url"])
    # Telegram answers with the keyboard as it stored it: only the fields it knows.
    return {"inline_keyboard": rows}


def _valid_login_url(login_url: object) -> None:
    """A LoginUrl button, as Telegram takes it: an object whose url is an https address
    (Telegram also wants its domain set with BotFather, which the sandbox takes as done)."""
    if not isinstance(login_url, dict) or not isinstance(login_url.get("url"), str):
        raise bad_request("can't parse inline keyboard button: LoginUrl is invalid")
    if not login_url["url"].startswith("https://"):
        raise bad_request("BUTTON_URL_INVALID")


def _replied_message(ctx: Context, conversation: Conversation) -> JSON | None:
    reply = ctx.params.get("reply_parameters")
    if reply is None and ctx.params.get("reply_to_message_id") is not None:
        reply = {"message_id": int(ctx.params["reply_to_message_id"])}
    if not reply:
        return None
    replied = conversation.get(int(reply.get("message_id", 0)))
    if replied is None and not reply.get("allow_sending_without_reply"):
        raise bad_request("message to be replied not found")
    return replied


def editable(ctx: Context) -> tuple[Conversation, JSON]:
    """The bot's own message named by ``chat_id`` and ``message_id``."""
    if ctx.params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = ctx.world.writable_chat(ctx.bot, chat_id_of(ctx.params))
    conversation = ctx.bot.conversation(chat.id)
    message = require_message(
        conversation, require_int(ctx.params, "message_id"), "message to edit not found"
    )
    if message.get("from", {}).get("id") != ctx.bot.id:
        raise bad_request("message can't be edited")
    return conversation, message


def apply_edit(ctx: Context, conversation: Conversation, message: JSON, changes: JSON) -> JSON:
    """Edit in place; 400 "message is not modified" when nothing would change."""
    inline = keyboard(ctx, conversation)
    new = {**message, **changes}
    for name in ("entities", "caption_entities"):
        if name not in changes and ("text" in changes or "caption" in changes):
            new.pop(name, None)
    new.pop("reply_markup", None)
    if inline is not None:
        new["reply_markup"] = inline
    if {k: v for k, v in new.items() if k != "edit_date"} == {
        k: v for k, v in message.items() if k != "edit_date"
    }:
        raise bad_request(errors.NOT_MODIFIED)
    new["edit_date"] = ctx.world.now()
    message.clear()
    message.update(new)
    return dict(message)


def _text(ctx: Context, too_long: str) -> JSON:
    content = formatted(ctx, "text", MAX_TEXT, too_long)
    if not content.get("text", "").strip():
        raise bad_request("message text is empty")
    return content


@bot_method("sendMessage")
def send_message(ctx: Context) -> JSON:
    chat = ctx.world.writable_chat(ctx.bot, chat_id_of(ctx.params))
    return post(ctx, chat, _text(ctx, "message is too long"))


@bot_method("editMessageText")
def edit_message_text(ctx: Context) -> JSON:
    conversation, message = editable(ctx)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    return apply_edit(ctx, conversation, message, _text(ctx, "MESSAGE_TOO_LONG"))


@bot_method("editMessageReplyMarkup")
def edit_message_reply_markup(ctx: Context) -> JSON:
    conversation, message = editable(ctx)
    return apply_edit(ctx, conversation, message, {})


@bot_method("deleteMessage")
def delete_message(ctx: Context) -> bool:
    chat = ctx.world.chat(chat_id_of(ctx.params))
    conversation = ctx.bot.conversation(chat.id)
    message_id = require_int(ctx.params, "message_id")
    require_message(conversation, message_id, "message to delete not found")
    conversation.deleted.add(message_id)
    return True


def _source(ctx: Context, missing: str) -> JSON:
    source_chat = ctx.world.chat(ctx.params.get("from_chat_id"))
    return require_message(
        ctx.bot.conversation(source_chat.id), require_int(ctx.params, "message_id"), missing
    )


@bot_method("copyMessage")
def copy_message(ctx: Context) -> JSON:
    original = _source(ctx, "message to copy not found")
    chat = ctx.world.writable_chat(ctx.bot, chat_id_of(ctx.params))
    content = strip_envelope(original)
    if ctx.params.get("caption") is not None:
        content.pop("caption_entities", None)
        content.update(formatted(ctx, "caption", MAX_CAPTION, "message caption is too long"))
    return {"message_id": post(ctx, chat, content)["message_id"]}


@bot_method("forwardMessage")
def forward_message(ctx: Context) -> JSON:
    original = _source(ctx, "message to forward not found")
    chat = ctx.world.writable_chat(ctx.bot, chat_id_of(ctx.params))
    content = strip_envelope(original)
    sender = original.get("from")
    content["forward_origin"] = (
        {"type": "user", "sender_user": sender, "date": original["date"]}
        if sender
        else {"type": "hidden_user", "sender_user_name": "Telegram", "date": original["date"]}
    )
    return post(ctx, chat, content)


@bot_method("answerCallbackQuery")
def answer_callback_query(ctx: Context) -> bool:
    query = ctx.bot.callback_queries.get(str(require(ctx.params, "callback_query_id")))
    if query is None or query.answer is not None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    query.answer = {k: v for k, v in ctx.params.items() if k != "callback_query_id"}
    return True


@bot_method("sendChatAction")
def send_chat_action(ctx: Context) -> bool:
    ctx.world.writable_chat(ctx.bot, chat_id_of(ctx.params))
    if ctx.params.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    return True
