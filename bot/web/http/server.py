"""Serving the console with uvicorn inside an event loop that runs other work too (the
bot's): no signal handlers of its own, no access log (a sign-in link is in its path), and a
deadline for reading each request."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Generator

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

STOP_SECONDS = 10.0  # for requests under way to finish
# A whole request (headers and body) must arrive within this; Telegram's updates and the
# console's forms take milliseconds. Uvicorn bounds only the idle time between requests.
READ_SECONDS = 10.0
TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


class _DeadlineProtocol(H11Protocol):
    """Uvicorn's h11 protocol with one deadline per request, from its first byte (or the
    connection's opening) to its last: a client trickling a byte a second is cut off when
    it passes, which a timeout between reads would never do. ASGI middleware could not do
    this: the application is only called once the headers are complete."""

    read_seconds = READ_SECONDS
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # a new request begins (or goes on arriving)
            self._arm()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE and self.conn.their_state is not h11.SEND_BODY:
            self._disarm()  # read to its end (or the connection is done with)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.read_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:  # the headers never came: the app saw nothing
            self.transport.write(TIMED_OUT)
        # Mid-body the application is told the client went away.
        self.transport.close()


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # The program that runs the server handles SIGINT and SIGTERM itself.
        yield


class ConsoleServer:
    def __init__(self, app: ASGIApp, listen: str, read_seconds: float = READ_SECONDS) -> None:
        host, _, port = listen.rpartition(":")
        self._address = (host.strip("[]"), int(port))
        config = uvicorn.Config(
            app,
            lifespan="off",
            access_log=False,
            log_config=None,  # the program's own logging
            server_header=False,
            http=type("DeadlineProtocol", (_DeadlineProtocol,), {"read_seconds": read_seconds}),
            # Behind a reverse proxy: its X-Forwarded-For and -Proto are trusted from the
            # addresses in FORWARDED_ALLOW_IPS (uvicorn's own variable; default the loopback).
            proxy_headers=True,
            # Slow clients are the proxy's job first (docs/CONSOLE.md); the idle time between
            # requests is bounded here, a request's own reading by the protocol above.
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
