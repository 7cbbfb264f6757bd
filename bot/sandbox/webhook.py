"""Deliver a bot's updates to its webhook, one at a time, as Telegram does.

An update is confirmed only when the webhook answers 2xx; otherwise the error is kept for
getWebhookInfo and the same update is tried again after a pause that grows.
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp

from bot.sandbox.world.state import BotAccount, Webhook, World

FIRST_RETRY = 0.2  # seconds
LAST_RETRY = 10.0
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookCourier:
    def __init__(self, world: World) -> None:
        self.world = world
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._session: aiohttp.ClientSession | None = None

    def start(self, bot: BotAccount) -> None:
        self.stop(bot)
        assert bot.webhook is not None
        self._tasks[bot.id] = asyncio.get_running_loop().create_task(
            self._deliver(bot, bot.webhook), name=f"sandbox webhook for bot {bot.id}"
        )

    def stop(self, bot: BotAccount) -> None:
        task = self._tasks.pop(bot.id, None)
        if task is not None:
            task.cancel()

    async def close(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _deliver(self, bot: BotAccount, webhook: Webhook) -> None:
        pause = FIRST_RETRY
        while bot.webhook is webhook:
            updates = bot.updates.deliverable(1)
            if not updates:
                await bot.updates.changed(30, self.world.sleep)
                continue
            error = await self._post(webhook, updates[0])
            if error is None:
                bot.updates.confirm(updates[0]["update_id"] + 1)
                pause = FIRST_RETRY
                continue
            webhook.last_error_date = self.world.now()
            webhook.last_error_message = error
            await self.world.sleep(pause)
            pause = min(pause * 2, LAST_RETRY)

    async def _post(self, webhook: Webhook, update: dict[str, object]) -> str | None:
        """None when the webhook took the update, else Telegram's wording of what went wrong."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        headers = {SECRET_HEADER: webhook.secret_token} if webhook.secret_token else {}
        try:
            async with self._session.post(webhook.url, json=update, headers=headers) as answer:
                if 200 <= answer.status < 300:
                    return None
                return f"Wrong response from the webhook: {answer.status} {answer.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {exc.__class__.__name__}"
