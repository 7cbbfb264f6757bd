"""A photo or voice message a patient sent, served to their care team after the same checks
as the patient's page, from Telegram, which keeps it: never a public address.

The URL names the episode and an opaque reference to the row (never the patient, never
Telegram's file id). The look is audited before a byte is sent; the answer is never
cached (the security headers say no-store and nosniff), and its type is read from the
file's first bytes, not trusted from anyone.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bot.delivery.files import FileUnavailable, TelegramFiles
from bot.patients.records.files import kept_file
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit

log = logging.getLogger(__name__)
# What a file is, by its first bytes (Telegram's photos are JPEG, its voice messages Ogg).
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"OggS", "audio/ogg"),
)
UNKNOWN = "application/octet-stream"
UNAVAILABLE = "Telegram no longer gives this file (or cannot be reached now)."


def media_type(first: bytes) -> str:
    if first[:4] == b"RIFF" and first[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in SIGNATURES if first.startswith(magic)), UNKNOWN)


async def patient_file(visit: Visit) -> Response:
    kept = await kept_file(
        visit.db,
        visit.console.services.catalogue,
        visit.request.path_params["episode_id"],
        visit.request.path_params["file_ref"],
        visit.who.team_ids,
        visit.who.staff_id,
        visit.now,
    )
    if kept is None:
        raise HTTPException(404)
    if visit.console.files is None:
        return _problem(visit.request, 503, "This console has no bot to fetch files with.")
    # Fetched once the response is sent, after the audit entry is committed.
    return FromTelegram(visit.request, visit.console.files, kept.file_id)


class FromTelegram(Response):
    def __init__(self, request: Request, files: TelegramFiles, file_id: str) -> None:
        super().__init__()
        self.request = request
        self.files = files
        self.file_id = file_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        try:
            async with self.files.download(self.file_id) as chunks:
                first = b""
                async for chunk in chunks:
                    first += chunk
                    if len(first) >= 16:
                        break
                kind = media_type(first)
                headers = [(b"content-type", kind.encode())]
                if kind == UNKNOWN:
                    headers.append((b"content-disposition", b"attachment"))
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                started = True
                await send({"type": "http.response.body", "body": first, "more_body": True})
                async for chunk in chunks:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
        except FileUnavailable:
            if started:  # cut short: the browser sees a broken file, and nothing else
                await send({"type": "http.response.body", "body": b""})
                return
            await _problem(self.request, 502, UNAVAILABLE)(scope, receive, send)


def _problem(request: Request, status: int, detail: str) -> Response:
    return TEMPLATES.TemplateResponse(
        request, "problem.html", {"status": status, "detail": detail}, status_code=status
    )
