"""Signing in with a one-time link: shown by GET, used only by the POST, once, within 5
minutes; sessions end when idle, at 12 hours, on sign-out and when the staff member goes."""

from __future__ import annotations

from datetime import timedelta

from bot.web.http.visits import COOKIE
from tests.web.conftest import Ward, csrf_of


async def test_opening_a_link_only_shows_a_button_and_the_post_signs_in(ward: Ward) -> None:
    token = await ward.link("Ana")
    browser = ward.client()
    for _ in range(3):  # a link preview, a second look: nothing is used up
        page = await browser.get(f"/sign-in/{token}")
        assert page.status_code == 200
        assert "Sign in</button>" in page.text
        assert COOKIE not in browser.cookies
    signed = await browser.post(f"/sign-in/{token}")
    assert signed.status_code == 303 and signed.headers["location"] == "/"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = await browser.get("/")
    assert home.status_code == 200 and "Ana (nurse)" in home.text


async def test_a_link_works_once(ward: Ward) -> None:
    token = await ward.link("Ana")
    first, second = ward.client(), ward.client()
    assert (await first.post(f"/sign-in/{token}")).status_code == 303
    again = await second.post(f"/sign-in/{token}")
    assert again.status_code == 410 and "does not work" in again.text
    assert (await second.get(f"/sign-in/{token}")).status_code == 410
    assert (await second.get("/")).status_code == 303


async def test_a_link_older_than_five_minutes_signs_nobody_in(ward: Ward) -> None:
    token = await ward.link("Ana")
    ward.journey.clock.advance(timedelta(minutes=5))
    browser = ward.client()
    assert (await browser.post(f"/sign-in/{token}")).status_code == 410
    assert (await browser.get("/")).headers["location"] == "/signed-out"


async def test_sign_in_tries_that_fail_are_limited_per_address(ward: Ward) -> None:
    token = await ward.link("Ana")
    browser = ward.client()
    for guess in range(10):
        assert (await browser.post(f"/sign-in/guess-{guess:020d}")).status_code == 410
    limited = await browser.post(f"/sign-in/{token}")
    assert limited.status_code == 429  # even a good link, from this address, for now
    ward.journey.clock.advance(timedelta(minutes=16))
    assert (await browser.post(f"/sign-in/{token}")).status_code == 410  # expired meanwhile
    assert (await browser.post(f"/sign-in/{await ward.link('Ana')}")).status_code == 303


async def test_a_session_ends_after_15_idle_minutes_and_refreshes_do_not_count(
    ward: Ward,
) -> None:
    clock = ward.journey.clock
    browser = await ward.signed_in("Ana")
    clock.advance(timedelta(minutes=14))
    assert (await browser.get("/")).status_code == 200  # a person's request
    for _ in range(3):  # the page's own refreshes, for 15 more minutes
        clock.advance(timedelta(minutes=5))
        poll = await browser.get("/", headers={"HX-Request": "true", "X-Console-Refresh": "poll"})
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/signed-out"
    assert (await browser.get("/")).status_code == 303


async def test_a_session_ends_after_12_hours_however_busy(ward: Ward) -> None:
    clock = ward.journey.clock
    browser = await ward.signed_in("Ana")
    for _ in range(12 * 6 - 1):
        clock.advance(timedelta(minutes=10))
        assert (await browser.get("/")).status_code == 200
    clock.advance(timedelta(minutes=10))
    assert (await browser.get("/")).status_code == 303


async def test_signing_out_ends_the_session(ward: Ward) -> None:
    browser = await ward.signed_in("Ana")
    cookie = browser.cookies[COOKIE]
    page = await browser.get("/")
    out = await browser.post("/sign-out", data={"csrf": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/signed-out"
    thief = ward.client()  # the old cookie, kept by someone
    thief.cookies.set(COOKIE, cookie)
    assert (await thief.get("/")).status_code == 303


async def test_removing_a_staff_member_ends_their_sessions_at_once(ward: Ward) -> None:
    from bot.staff.registry import remove_staff

    browser = await ward.signed_in("Ana")
    assert (await browser.get("/")).status_code == 200
    async with ward.journey.runtime.sessions.begin() as session:
        await remove_staff(session, "Ana", now=ward.journey.clock.now(), actor="cli:test")
    assert (await browser.get("/")).status_code == 303
    assert (await browser.post(f"/sign-in/{await ward.link('Ana')}")).status_code == 410


async def test_a_form_without_the_session_csrf_token_changes_nothing(ward: Ward) -> None:
    await ward.red_flag()
    alert = await ward.alert()
    browser = await ward.signed_in("Ana")
    for data in ({}, {"csrf": "forged"}):
        refused = await browser.post(f"/alerts/{alert.id}/acknowledge", data=data)
        assert refused.status_code == 403
    csrf = csrf_of((await browser.get("/")).text)
    for elsewhere in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        other_site = await browser.post(
            f"/alerts/{alert.id}/acknowledge", data={"csrf": csrf}, headers=elsewhere
        )
        assert other_site.status_code == 403
    assert (await ward.alert()).acknowledged_by is None


async def test_pages_carry_the_security_headers(ward: Ward) -> None:
    browser = await ward.signed_in("Ana")
    for path in ("/", "/signed-out", "/nowhere"):
        headers = (await browser.get(path)).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"


async def test_console_asks_for_a_link_in_a_private_chat(ward: Ward) -> None:
    journey = ward.journey
    ana = ward.staff["Ana"]
    journey.sandbox.send_text(ana, "/console")
    await journey.settle()
    text = journey.last(ana)["text"]
    assert "valid for 5 minutes and once" in text
    url = next(word for word in text.split() if word.startswith("http"))
    assert url.startswith("http")
    stranger = journey.sandbox.user("Eve")
    journey.sandbox.send_text(stranger, "/console")
    await journey.settle()
    assert "/sign-in/" not in journey.last(stranger)["text"]
