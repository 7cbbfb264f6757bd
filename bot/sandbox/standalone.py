"""Run the sandbox on its own until interrupted (``eras sandbox``, ``python -m bot.sandbox``)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from bot.sandbox.server import SandboxServer


async def serve(sandbox: SandboxServer, on_ready: Callable[[SandboxServer], None]) -> None:
    """Start ``sandbox``, tell ``on_ready``, and stop on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not available on every platform; Ctrl+C still ends asyncio.run there.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    async with sandbox:
        on_ready(sandbox)
        await stop.wait()
