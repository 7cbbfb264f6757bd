"""Webhook delivery with Telegram's secret header, and files in and out."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import Bot

from bot.sandbox import Sandbox, SandboxServer
from bot.sandbox.webhook import SECRET_HEADER

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def sandbox(served_sandbox: SandboxServer) -> SandboxServer:
    """Webhooks and file downloads over HTTP, as the bot in webhook mode meets them."""
    return served_sandbox


def grey_png(width: int, height: int) -> bytes:
    """A real PNG, one shade of grey, built by hand (the sandbox decodes only its header)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    pixels = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


class Receiver:
    """A webhook endpoint that keeps what it is sent, and can be told to fail."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[dict[str, object], str | None]] = asyncio.Queue()
        self.failures_left = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.failures_left:
            self.failures_left -= 1
            return web.Response(status=500)
        await self.received.put((await request.json(), request.headers.get(SECRET_HEADER)))
        return web.Response()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    endpoint = Receiver()
    app = web.Application()
    app.router.add_post("/telegram", endpoint.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    endpoint.url = f"http://{host}:{port}/telegram"
    yield endpoint
    await runner.cleanup()


async def test_a_webhook_gets_updates_with_the_secret_header(
    sandbox: Sandbox, bot: Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url, secret_token="s3cret-token")
    alice = sandbox.user("Alice")

    sandbox.send_text(alice, "/start")

    update, secret = await asyncio.wait_for(receiver.received.get(), timeout=5)
    assert secret == "s3cret-token"
    assert update["message"]["text"] == "/start"  # type: ignore[index]
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)


async def test_a_failing_webhook_is_retried_and_its_error_reported(
    sandbox: Sandbox, bot: Bot, receiver: Receiver
) -> None:
    receiver.failures_left = 1
    await bot.set_webhook(receiver.url)

    sandbox.send_text(sandbox.user("Alice"), "hello")

    update, _ = await asyncio.wait_for(receiver.received.get(), timeout=5)
    assert update["message"]["text"] == "hello"  # type: ignore[index]
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_deleting_the_webhook_brings_back_polling(sandbox: Sandbox, bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/unreachable")
    sandbox.send_text(sandbox.user("Alice"), "hello")

    await bot.delete_webhook()

    assert [u.message.text for u in await bot.get_updates()] == ["hello"]


async def test_an_uploaded_photo_downloads_as_the_same_bytes(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")

    sent = await bot.send_photo(
        alice.chat_id, PNG, caption="<i>Pain this week</i>", parse_mode="HTML"
    )
    photo = await bot.get_file(sent.photo[-1].file_id)

    assert sent.caption == "Pain this week"
    assert bytes(await photo.download_as_bytearray()) == PNG
    again = await bot.send_photo(alice.chat_id, sent.photo[-1].file_id)
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    upload = sandbox.ledger.calls("sendPhoto")[0]
    described = upload.to_json()["params"]["photo"]
    assert described.startswith("<upload ") and described.endswith(f" {len(PNG)} bytes>")


async def test_a_photo_a_person_sends_can_be_downloaded(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")

    sandbox.send_photo(alice, PNG, caption="my wound")

    message = (await bot.get_updates())[0].message
    assert message is not None and message.caption == "my wound"
    wound = await message.photo[-1].get_file()
    assert bytes(await wound.download_as_bytearray()) == PNG


async def test_a_document_upload_keeps_its_name(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")

    sent = await bot.send_document(alice.chat_id, b"date,pain\n", filename="pain.csv")

    assert sent.document is not None and sent.document.file_name == "pain.csv"
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == b"date,pain\n"


async def test_an_uploaded_png_has_its_real_size_and_its_bytes_are_kept(
    sandbox: Sandbox, bot: Bot
) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")
    image = grey_png(40, 30)

    sent = await bot.send_photo(alice.chat_id, image, filename="chart.png")

    assert (sent.photo[-1].width, sent.photo[-1].height) == (40, 30)
    upload = sandbox.ledger.calls("sendPhoto")[-1].params["photo"]
    assert (upload.filename, upload.content_type, upload.data) == ("chart.png", "image/png", image)
    (message,) = sandbox.messages_to(alice)[-1:]
    assert sandbox.photo_data(message) == image


async def test_a_photo_that_is_not_a_png_has_no_size(sandbox: Sandbox, bot: Bot) -> None:
    alice = sandbox.user("Alice")
    sandbox.send_text(alice, "/start")

    sent = await bot.send_photo(alice.chat_id, PNG[:20])

    assert (sent.photo[-1].width, sent.photo[-1].height) == (0, 0)
