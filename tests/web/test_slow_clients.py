"""A client that sends its request slowly cannot hold a connection: each request must arrive
whole within the server's read deadline. Over a real socket, with real time (the deadline
is the event loop's timer, which no fake clock moves)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.web.http.server import ConsoleServer

DEADLINE = 2.0
REQUEST = b"POST /echo HTTP/1.1\r\nHost: console\r\nContent-Length: 5\r\n\r\n"


async def _echo(request: Request) -> Response:
    return PlainTextResponse(await request.body())


@pytest.fixture
async def server() -> AsyncIterator[ConsoleServer]:
    app = Starlette(routes=[Route("/echo", _echo, methods=["POST"])])
    server = ConsoleServer(app, "127.0.0.1:0", read_seconds=DEADLINE)
    await server.start()
    yield server
    await server.stop()


async def _trickled(port: int, at_once: bytes, data: bytes) -> tuple[bytes, float]:
    """Send ``at_once``, then ``data`` a byte a second; what came back before the server
    closed the connection, and when."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    loop = asyncio.get_running_loop()
    started = loop.time()
    writer.write(at_once)

    async def trickle() -> None:
        for byte in data:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(1)

    trickling = asyncio.create_task(trickle())
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=DEADLINE + 8)
        return answer, loop.time() - started
    finally:
        trickling.cancel()
        writer.close()


async def test_headers_sent_a_byte_a_second_are_cut_off_at_the_deadline(
    server: ConsoleServer,
) -> None:
    answer, elapsed = await _trickled(server.port, b"", REQUEST + b"hello")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert elapsed < DEADLINE + 1


async def test_a_body_sent_a_byte_a_second_is_cut_off_at_the_deadline(
    server: ConsoleServer,
) -> None:
    answer, elapsed = await _trickled(server.port, REQUEST, b"hello")
    assert b"hello" not in answer  # the application never had the whole body
    assert elapsed < DEADLINE + 1


async def test_a_prompt_client_is_answered_twice_on_one_connection(server: ConsoleServer) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        first = await client.post("/echo", content=b"hello")
        second = await client.post("/echo", content=b"again")
    assert (first.status_code, first.text) == (200, "hello")
    assert (second.status_code, second.text) == (200, "again")
