"""What people do in Telegram, turned into the updates a bot receives.

A person writes, taps a button, edits what they wrote, sends a photo, blocks the bot or
deletes their account. Each action changes the sandbox's Telegram the way the real one
changes, and queues the update the bot would get (or none, when Telegram would not tell it).
"""

from __future__ import annotations

import struct
from typing import Any

from bot.sandbox.world.formatting import command_entities
from bot.sandbox.world.state import (
    JSON,
    BotAccount,
    CallbackQuery,
    Chat,
    Group,
    Person,
    StoredFile,
    World,
)


class People:
    def __init__(self, world: World) -> None:
        self.world = world

    def write(
        self,
        bot: BotAccount,
        sender: Person,
        text: str,
        *,
        chat: Chat | None = None,
        reply_to: JSON | int | None = None,
        entities: list[JSON] | None = None,
    ) -> JSON | None:
        """The person sends ``text``; returns the update, or None if the bot is not told."""
        content: JSON = {"text": text}
        found = command_entities(text) if entities is None else entities
        if found:
            content["entities"] = found
        return self._post(bot, sender, chat, content, reply_to)

    def send_photo(
        self,
        bot: BotAccount,
        sender: Person,
        data: bytes,
        *,
        caption: str | None = None,
        chat: Chat | None = None,
        file_name: str = "photo.jpg",
    ) -> JSON | None:
        stored = self.world.store_file(
            data, folder="photos", file_name=file_name, mime_type="image/jpeg"
        )
        content: JSON = {"photo": [photo_size(stored.file_id, stored.file_unique_id, data)]}
        if caption:
            content["caption"] = caption
        return self._post(bot, sender, chat, content, None)

    def send_voice(
        self,
        bot: BotAccount,
        sender: Person,
        data: bytes,
        *,
        duration: int = 1,
        chat: Chat | None = None,
    ) -> JSON | None:
        stored = self.world.store_file(
            data, folder="voice", file_name="voice.ogg", mime_type="audio/ogg"
        )
        return self._post(bot, sender, chat, {"voice": voice_of(stored, duration)}, None)

    def edit_text(self, bot: BotAccount, sender: Person, message: JSON, text: str) -> JSON:
        """The person edits a message they sent; the bot gets an ``edited_message``."""
        chat_id = message["chat"]["id"]
        current = bot.conversation(chat_id).get(message["message_id"])
        if current is None or current.get("from", {}).get("id") != sender.id:
            raise ValueError(f"{sender.first_name} did not send message {message['message_id']}")
        current.update(text=text, edit_date=self.world.now())
        current.pop("entities", None)
        if found := command_entities(text):
            current["entities"] = found
        return bot.updates.push({"edited_message": dict(current)})

    def press_button(
        self,
        bot: BotAccount,
        sender: Person,
        message: JSON | int,
        data: str | None = None,
        *,
        text: str | None = None,
        chat: Chat | None = None,
    ) -> JSON:
        """The person taps an inline button (found by callback data or by label)."""
        chat_id = message["chat"]["id"] if isinstance(message, dict) else (chat or sender).id
        message_id = message["message_id"] if isinstance(message, dict) else message
        current = bot.conversation(chat_id).get(message_id)
        if current is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        button = _find_button(current, data, text)
        query_id = self.world.new_callback_query_id()
        query: JSON = {
            "id": query_id,
            "from": sender.as_user(),
            "message": dict(current),
            "chat_instance": str(abs(hash((bot.id, chat_id)))),
            "data": button["callback_data"],
        }
        bot.callback_queries[query_id] = CallbackQuery(query_id, current)
        return bot.updates.push({"callback_query": query})

    def block(self, bot: BotAccount, person: Person) -> JSON:
        person.blocked_bots.add(bot.id)
        return self._member_update(bot, person, "member", "kicked")

    def unblock(self, bot: BotAccount, person: Person) -> JSON:
        person.blocked_bots.discard(bot.id)
        return self._member_update(bot, person, "kicked", "member")

    def delete_account(self, person: Person) -> None:
        # Telegram tells no bot; they learn it from 403 "user is deactivated".
        person.deactivated = True
        person.first_name = "Deleted Account"

    def upgrade_group(self, bot: BotAccount, group: Group) -> Group:
        """An admin upgrades the group: it gets a new id, and the bot is told in both chats."""
        supergroup = self.world.migrate(group)
        for chat, service in (
            (group, {"migrate_to_chat_id": supergroup.id}),
            (supergroup, {"migrate_from_chat_id": group.id}),
        ):
            message = {"message_id": 0, "chat": chat.as_chat(), "date": self.world.now()}
            stored = bot.conversation(chat.id).add({**message, **service})
            bot.updates.push({"message": dict(stored)})
        return supergroup

    def raw(self, bot: BotAccount, update: JSON) -> JSON:
        """Any update at all, as given (an ``update_id`` is added when it has none)."""
        return bot.updates.push(update)

    # --------------------------------------------------------------------------------------

    def _post(
        self,
        bot: BotAccount,
        sender: Person,
        chat: Chat | None,
        content: JSON,
        reply_to: JSON | int | None,
    ) -> JSON | None:
        chat = chat or sender
        if isinstance(chat, Group) and chat.migrated_to is not None:
            raise ValueError(f"group {chat.id} became supergroup {chat.migrated_to}")
        conversation = bot.conversation(chat.id)
        message: JSON = {
            "message_id": 0,
            "from": sender.as_user(),
            "chat": chat.as_chat(),
            "date": self.world.now(),
            **content,
        }
        if reply_to is not None:
            reply_id = reply_to["message_id"] if isinstance(reply_to, dict) else reply_to
            replied = conversation.get(reply_id)
            if replied is None:
                raise ValueError(f"no message {reply_id} in chat {chat.id} to reply to")
            message["reply_to_message"] = dict(replied)
        conversation.add(message)
        if isinstance(chat, Person):
            # Writing to a bot opens the chat, and un-blocks it (Telegram's "Restart").
            sender.started_bots.add(bot.id)
            sender.blocked_bots.discard(bot.id)
        elif not self._bot_sees(bot, message):
            return None
        return bot.updates.push({"message": dict(message)})

    @staticmethod
    def _bot_sees(bot: BotAccount, message: JSON) -> bool:
        """In groups a bot in privacy mode gets only its commands and replies to it."""
        if not bot.privacy_mode:
            return True
        replied = message.get("reply_to_message", {})
        if replied.get("from", {}).get("id") == bot.id:
            return True
        text = message.get("text", "")
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command" and entity["offset"] == 0:
                command = text[: entity["length"]]
                _, _, addressee = command.partition("@")
                return addressee in ("", bot.username)
        return False

    def _member_update(self, bot: BotAccount, person: Person, old: str, new: str) -> JSON:
        def member(status: str) -> JSON:
            state: JSON = {"status": status, "user": bot.as_user()}
            if status == "kicked":
                state["until_date"] = 0
            return state

        return bot.updates.push(
            {
                "my_chat_member": {
                    "chat": person.as_chat(),
                    "from": person.as_user(),
                    "date": self.world.now(),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )


def voice_of(stored: StoredFile, duration: int) -> JSON:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": duration,
        "mime_type": stored.mime_type,
        "file_size": len(stored.data),
    }


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def photo_size(file_id: str, file_unique_id: str, data: bytes) -> JSON:
    width, height = png_size(data)
    return {
        "file_id": file_id,
        "file_unique_id": file_unique_id,
        "width": width,
        "height": height,
        "file_size": len(data),
    }


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's size from its header, as Telegram would report it; (0, 0) for anything
    else, as the sandbox decodes no other image."""
    if len(data) < 24 or not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR":
        return 0, 0
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _find_button(message: JSON, data: str | None, text: str | None) -> Any:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    for row in rows:
        for button in row:
            if "callback_data" in button and (
                (data is not None and button["callback_data"] == data)
                or (text is not None and button["text"] == text)
            ):
                return button
    labels = [button.get("text") for row in rows for button in row]
    raise ValueError(
        f"message {message['message_id']} has no button {data or text!r} (buttons: {labels})"
    )
