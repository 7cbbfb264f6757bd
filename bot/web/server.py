"""Serving the console with uvicorn inside an event loop that runs other work too (the
bot's): no signal handlers of its own, no access log (a sign-in link is in its path)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator

import uvicorn
from starlette.types import ASGIApp

STOP_SECONDS = 10.0  # for requests under way to finish


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The program that runs the server handles SIGINT and SIGTERM itself.
        yield


class ConsoleServer:
    def __init__(self, app: ASGIApp, listen: str) -> None:
        host, _, port = listen.rpartition(":")
        self._address = (host.strip("[]"), int(port))
        config = uvicorn.Config(
            app,
            lifespan="off",
            access_log=False,
            log_config=None,  # the program's own logging
            server_header=False,
            # Behind a reverse proxy: its X-Forwarded-For and -Proto are trusted from the
            # addresses in FORWARDED_ALLOW_IPS (uvicorn's own variable; default the loopback).
            proxy_headers=True,
            # Slow clients are the proxy's job; this bounds what reaches the app.
            timeout_keep_alive=5,
        )
        self._server = _Server(config)
        self._task: asyncio.Task[None] | None = None
        self.port = 0

    async def start(self) -> None:
        """Listen (OSError when the address is taken), then serve in the background."""
        host, port = self._address
        listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(2048)  # from now on connections wait for the server to take them
        except OSError:
            listener.close()
            raise
        self.port = int(listener.getsockname()[1])
        self._task = asyncio.create_task(self._server.serve(sockets=[listener]))

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(TimeoutError):  # then wait_for has cancelled it
            await asyncio.wait_for(self._task, STOP_SECONDS)
        self._task = None
