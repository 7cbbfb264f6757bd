"""What the bot may ask about a chat: getChat, and getChatMember (is this person in it?)."""

from __future__ import annotations

from bot.sandbox import errors
from bot.sandbox.api.methods.registry import Context, bot_method
from bot.sandbox.world.state import JSON, Chat, Group


def _chat(ctx: Context) -> Chat:
    chat = ctx.world.chat(ctx.params.get("chat_id"))
    if isinstance(chat, Group) and chat.migrated_to is not None:
        raise errors.chat_migrated(chat.migrated_to)
    return chat


# A member whose every right to send was taken away by the group's administrators.
_MUTED: JSON = {
    "is_member": True,
    "until_date": 0,
    **dict.fromkeys(
        (
            "can_send_messages",
            "can_send_audios",
            "can_send_documents",
            "can_send_photos",
            "can_send_videos",
            "can_send_video_notes",
            "can_send_voice_notes",
            "can_send_polls",
            "can_send_other_messages",
            "can_add_web_page_previews",
            "can_change_info",
            "can_invite_users",
            "can_pin_messages",
            "can_manage_topics",
            "can_edit_tag",
            "can_react_to_messages",
        ),
        False,
    ),
}


@bot_method("getChat")
def get_chat(ctx: Context) -> JSON:
    chat = _chat(ctx)
    if isinstance(chat, Group) and ctx.bot.id in chat.removed_bots:
        raise errors.forbidden(errors.KICKED)
    return {**chat.as_chat(), "accent_color_id": 0, "max_reaction_count": 11}


@bot_method("getChatMember")
def get_chat_member(ctx: Context) -> JSON:
    chat = _chat(ctx)
    user_id = ctx.params.get("user_id")
    if user_id == ctx.bot.id and isinstance(chat, Group):  # the bot asking about itself
        if ctx.bot.id in chat.removed_bots:
            return {"status": "kicked", "user": ctx.bot.as_user(), "until_date": 0}
        if ctx.bot.id in chat.muted_bots:
            return {"status": "restricted", "user": ctx.bot.as_user(), **_MUTED}
        return {"status": "member", "user": ctx.bot.as_user()}
    person = ctx.world.people.get(user_id) if isinstance(user_id, int) else None
    if person is None:
        raise errors.bad_request("PARTICIPANT_ID_INVALID")
    inside = person.id in chat.members if isinstance(chat, Group) else person.id == chat.id
    status = "member" if inside else "left"
    return {"status": status, "user": person.as_user()}
