"""Headers every answer carries, and the checks every form post passes.

The policy allows no inline script or style and no framing: the pages load only the
console's own files (htmx and one stylesheet). No page is kept by a shared cache, and no
address is sent on as a referrer (a sign-in link must never leave in one).
"""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # The outcomes report's figures are inline PNGs (data: URIs), as in its offline file.
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
)
HSTS = ("strict-transport-security", "max-age=31536000")


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP answer; pages are never cached
    (static files may be); HSTS when the console is served over https."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.extra = [HSTS] if https else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                for name, value in (*HEADERS, *self.extra):
                    headers.append((name.encode(), value.encode()))
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def same_origin(request: Request) -> bool:
    """A post from a page of this site. Browsers say where a request comes from in
    Sec-Fetch-Site; older ones only in Origin (sent as "null" under no-referrer), which must
    then name the host the request was sent to (a proxy passes the Host header on)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")  # "none": the person's own doing
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True  # no browser's cross-site post: the CSRF token still has to match
    return urlsplit(origin).netloc == request.headers.get("host")


def csrf_matches(expected: str, given: object) -> bool:
    return isinstance(given, str) and hmac.compare_digest(expected.encode(), given.encode())
