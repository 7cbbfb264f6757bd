"""How updates reach the bot: long polling with getUpdates, or a webhook."""

from __future__ import annotations

import re

from bot.sandbox import errors
from bot.sandbox.api.methods.registry import Context, bot_method
from bot.sandbox.errors import bad_request
from bot.sandbox.world.state import JSON, BotAccount, Webhook

_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@bot_method("getUpdates")
async def get_updates(ctx: Context) -> list[JSON]:
    """Answer at once if updates are waiting, else when one arrives or ``timeout`` passes."""
    bot, params = ctx.bot, ctx.params
    queue = bot.updates
    _refuse_while_webhook(bot)
    if params.get("offset"):
        queue.confirm(params["offset"])
    if params.get("allowed_updates") is not None:
        queue.allowed = frozenset(params["allowed_updates"]) or None
    limit = min(max(int(params.get("limit") or 100), 1), 100)
    deadline = ctx.world.monotonic() + max(int(params.get("timeout") or 0), 0)
    # Only one poller at a time: a newer request ends the one still waiting, with 409.
    queue.poll_generation += 1
    generation = queue.poll_generation
    queue.notify()
    while True:
        if queue.poll_generation != generation:
            raise errors.conflict(errors.OTHER_POLLER)
        _refuse_while_webhook(bot)
        updates = queue.deliverable(limit)
        remaining = deadline - ctx.world.monotonic()
        if updates or remaining <= 0 or ctx.world.closing:
            return [dict(update) for update in updates]
        queue.poll_waiting.set()
        try:
            await queue.changed(remaining, ctx.world.sleep)
        finally:
            queue.poll_waiting.clear()


def _refuse_while_webhook(bot: BotAccount) -> None:
    if bot.webhook is not None:
        raise errors.conflict(errors.WEBHOOK_ACTIVE)


@bot_method("setWebhook")
def set_webhook(ctx: Context) -> bool:
    params = ctx.params
    url = str(params.get("url") or "")
    if not url:
        return _remove_webhook(ctx)
    # Telegram requires HTTPS; a sandbox on a laptop has to allow plain HTTP too.
    if not re.match(r"^https?://[^/\s]+", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = params.get("secret_token")
    if secret is not None and not _SECRET.match(str(secret)):
        raise bad_request("secret token contains unallowed characters")
    if params.get("drop_pending_updates"):
        ctx.bot.updates.pending.clear()
    allowed = params.get("allowed_updates")
    if allowed is not None:
        ctx.bot.updates.allowed = frozenset(allowed) or None
    ctx.bot.webhook = Webhook(
        url=url,
        secret_token=secret,
        max_connections=int(params.get("max_connections") or 40),
        allowed_updates=allowed,
    )
    ctx.webhooks.start(ctx.bot)
    ctx.bot.updates.notify()  # a waiting getUpdates now answers 409
    return True


@bot_method("deleteWebhook")
def delete_webhook(ctx: Context) -> bool:
    return _remove_webhook(ctx)


def _remove_webhook(ctx: Context) -> bool:
    ctx.bot.webhook = None
    ctx.webhooks.stop(ctx.bot)
    if ctx.params.get("drop_pending_updates"):
        ctx.bot.updates.pending.clear()
    return True


@bot_method("getWebhookInfo")
def get_webhook_info(ctx: Context) -> JSON:
    webhook = ctx.bot.webhook
    info: JSON = {
        "url": webhook.url if webhook else "",
        "has_custom_certificate": False,
        "pending_update_count": len(ctx.bot.updates.pending),
    }
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
        if webhook.allowed_updates is not None:
            info["allowed_updates"] = webhook.allowed_updates
        if webhook.last_error_date is not None:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    return info
