"""One bot process of the scale-out benchmark: ``eras run --webhook`` with the pacer off.

Settings come from the environment as ``eras run`` reads them; the difference is the pacer
(Telegram's limits off, as in the sandbox), which ``eras run`` has no switch for, rightly.
Runs until SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from benchmarks.bot import unlimited
from bot.app.runtime import BotRuntime
from bot.settings import Settings


async def serve() -> None:
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, task.cancel)
    runtime = BotRuntime(Settings(), pacer=unlimited())
    try:
        await runtime.start()
        await runtime.run(webhook=True)
    except asyncio.CancelledError:
        pass
    finally:
        await runtime.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
