"""Photos, voice messages and documents: uploaded or re-sent by ``file_id``, then fetched
with getFile."""

from __future__ import annotations

from bot.sandbox.api.methods.messages import MAX_CAPTION, formatted, post
from bot.sandbox.api.methods.registry import Context, bot_method
from bot.sandbox.api.params import Upload, chat_id_of, require
from bot.sandbox.errors import bad_request
from bot.sandbox.world.people import photo_size, voice_of
from bot.sandbox.world.state import JSON, StoredFile


def _file(ctx: Context, field: str, folder: str) -> StoredFile:
    """The uploaded file, or the one named by ``file_id`` (URLs are not fetched)."""
    value = require(ctx.params, field)
    if isinstance(value, Upload):
        return ctx.world.store_file(
            value.data, folder=folder, file_name=value.filename, mime_type=value.content_type
        )
    stored = ctx.world.files.get(str(value))
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


def _send_media(ctx: Context, field: str, folder: str) -> JSON:
    chat = ctx.world.writable_chat(ctx.bot, chat_id_of(ctx.params))
    stored = _file(ctx, field, folder)
    if field == "photo":
        media: JSON = {"photo": [photo_size(stored.file_id, stored.file_unique_id, stored.data)]}
    elif field == "voice":
        media = {"voice": voice_of(stored, int(ctx.params.get("duration") or 1))}
    else:
        media = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": stored.file_name,
                "mime_type": stored.mime_type,
                "file_size": len(stored.data),
            }
        }
    caption = formatted(ctx, "caption", MAX_CAPTION, "message caption is too long")
    return post(ctx, chat, {**media, **caption})


@bot_method("sendPhoto")
def send_photo(ctx: Context) -> JSON:
    return _send_media(ctx, "photo", "photos")


@bot_method("sendDocument")
def send_document(ctx: Context) -> JSON:
    return _send_media(ctx, "document", "documents")


@bot_method("sendVoice")
def send_voice(ctx: Context) -> JSON:
    return _send_media(ctx, "voice", "voice")


@bot_method("getFile")
def get_file(ctx: Context) -> JSON:
    stored = ctx.world.files.get(str(require(ctx.params, "file_id")))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.as_file()
