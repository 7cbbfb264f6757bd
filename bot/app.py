"""Build the python-telegram-bot ``Application`` that is the bot.

The same factory serves production, the demo and the tests: only the Bot API URL differs.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes

from bot.settings import Settings

WELCOME = (
    "Hello. This is your care team's follow-up service after spine surgery. "
    "To begin, open the personal link your care team gave you."
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.effective_chat is None:
        return
    await context.bot.send_message(chat_id=update.effective_chat.id, text=WELCOME)


def build_application(settings: Settings, *, max_retries: int = 3) -> Application:  # type: ignore[type-arg]
    """The bot, talking to ``settings.telegram_api_url``.

    The rate limiter keeps python-telegram-bot under Telegram's flood limits and waits out a
    429's ``retry_after`` before trying again (``max_retries`` times).
    """
    application = (
        Application.builder()
        .token(settings.require_token())
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_file_base_url)
        .rate_limiter(AIORateLimiter(max_retries=max_retries))
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    return application
