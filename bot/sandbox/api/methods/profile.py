"""Who the bot is and how it presents itself: getMe, its command list, its menu button."""

from __future__ import annotations

import json
import re

from bot.sandbox.api.methods.registry import Context, bot_method
from bot.sandbox.errors import bad_request
from bot.sandbox.world.state import JSON

_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
MENU_BUTTON_TYPES = frozenset({"commands", "web_app", "default"})


@bot_method("getMe")
def get_me(ctx: Context) -> JSON:
    return {
        **ctx.bot.as_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": not ctx.bot.privacy_mode,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def _commands_key(ctx: Context) -> tuple[str, str]:
    scope = ctx.params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(ctx.params.get("language_code") or "")


@bot_method("setMyCommands")
def set_my_commands(ctx: Context) -> bool:
    commands = ctx.params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("commands must be a list of at most 100 BotCommand")
    for command in commands:
        if not _COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    stored = [{"command": c["command"], "description": c["description"]} for c in commands]
    ctx.bot.commands[_commands_key(ctx)] = stored
    return True


@bot_method("getMyCommands")
def get_my_commands(ctx: Context) -> list[JSON]:
    return ctx.bot.commands.get(_commands_key(ctx), [])


@bot_method("deleteMyCommands")
def delete_my_commands(ctx: Context) -> bool:
    ctx.bot.commands.pop(_commands_key(ctx), None)
    return True


def _menu_chat(ctx: Context) -> int | None:
    chat_id = ctx.params.get("chat_id")
    return None if chat_id is None else ctx.world.chat(chat_id).id


@bot_method("setChatMenuButton")
def set_chat_menu_button(ctx: Context) -> bool:
    button = ctx.params.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in MENU_BUTTON_TYPES:
        raise bad_request("unsupported menu button type")
    ctx.bot.menu_buttons[_menu_chat(ctx)] = button
    return True


@bot_method("getChatMenuButton")
def get_chat_menu_button(ctx: Context) -> JSON:
    return ctx.bot.menu_buttons.get(_menu_chat(ctx), {"type": "default"})
