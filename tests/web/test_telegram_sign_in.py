"""Signing in with Telegram's LoginUrl ("Open console" once the bot's domain is set with
BotFather): Telegram's fields, signed with HMAC-SHA256 keyed by SHA-256 of the bot's token,
sign in the active staff member linked to that Telegram account, within five minutes."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from bot.sandbox import Person
from bot.settings import TELEGRAM_SIGN_IN_PATH
from bot.staff.registry import remove_staff
from bot.web.http.visits import COOKIE
from db.models import AuditEntry
from tests.web.conftest import Ward


def _signed(person: Person, bot_token: str, at: datetime, **extra: str) -> dict[str, str]:
    """The fields Telegram sends, signed as Telegram's documentation says (written out
    here, not with the console's code)."""
    fields = {
        "id": str(person.id),
        "first_name": person.first_name,
        "auth_date": str(int(at.timestamp())),
    }
    fields.update(extra)
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hashlib.sha256(bot_token.encode()).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return fields


def _browser(ward: Ward) -> httpx.AsyncClient:
    ward.console.telegram_login_token = ward.journey.sandbox.token
    return ward.client()


async def _sign_in_entries(ward: Ward) -> list[AuditEntry]:
    async with ward.journey.runtime.sessions() as session:
        found = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "console.sign_in")
        )
        return list(found)


async def test_a_valid_signature_signs_the_staff_member_in(ward: Ward) -> None:
    browser = _browser(ward)
    now = ward.journey.clock.now()
    fields = _signed(ward.staff["Ana"], ward.journey.sandbox.token, now, username="ana_rn")
    answer = await browser.get(TELEGRAM_SIGN_IN_PATH, params=fields)
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert "HttpOnly" in answer.headers["set-cookie"]
    home = await browser.get("/")
    assert home.status_code == 200 and "Ana (nurse)" in home.text
    [entry] = await _sign_in_entries(ward)
    assert entry.origin == "telegram_login" and entry.outcome == "done"


async def test_a_signature_opens_one_session_only(ward: Ward) -> None:
    """The address stays in the browser's history: on a shared computer, going back to it
    must not sign the next person in."""
    fields = _signed(ward.staff["Ana"], ward.journey.sandbox.token, ward.journey.clock.now())
    assert (await _browser(ward).get(TELEGRAM_SIGN_IN_PATH, params=fields)).status_code == 303
    again = _browser(ward)
    assert (await again.get(TELEGRAM_SIGN_IN_PATH, params=fields)).status_code == 403
    assert COOKIE not in again.cookies
    ward.journey.clock.advance(timedelta(seconds=1))  # a new press: a new signature
    later = _signed(ward.staff["Ana"], ward.journey.sandbox.token, ward.journey.clock.now())
    assert (await _browser(ward).get(TELEGRAM_SIGN_IN_PATH, params=later)).status_code == 303


async def test_a_forged_or_altered_signature_is_refused(ward: Ward) -> None:
    token = ward.journey.sandbox.token
    now = ward.journey.clock.now()
    ana, ines = ward.staff["Ana"], ward.staff["Ines"]
    forged = _signed(ana, token.replace(token[-1], "x" if token[-1] != "x" else "y"), now)
    altered = {**_signed(ana, token, now), "id": str(ines.id)}  # Ana's hash, the admin's id
    unsigned = {k: v for k, v in _signed(ana, token, now).items() if k != "hash"}
    extra = {**_signed(ana, token, now), "role": "admin"}  # a field Telegram never signs
    for fields in (forged, altered, unsigned, extra):
        browser = _browser(ward)
        answer = await browser.get(TELEGRAM_SIGN_IN_PATH, params=fields)
        assert answer.status_code == 403 and "does not work here" in answer.text
        assert COOKIE not in browser.cookies
    assert await _sign_in_entries(ward) == []


async def test_a_signature_older_than_five_minutes_or_from_the_future_is_refused(
    ward: Ward,
) -> None:
    token, now = ward.journey.sandbox.token, ward.journey.clock.now()
    ana = ward.staff["Ana"]
    for at in (now - timedelta(minutes=5, seconds=1), now + timedelta(minutes=1)):
        answer = await _browser(ward).get(TELEGRAM_SIGN_IN_PATH, params=_signed(ana, token, at))
        assert answer.status_code == 403
    fresh = _signed(ana, token, now - timedelta(minutes=4, seconds=59))
    assert (await _browser(ward).get(TELEGRAM_SIGN_IN_PATH, params=fresh)).status_code == 303


async def test_an_unknown_or_removed_telegram_account_is_refused_and_audited(
    ward: Ward,
) -> None:
    journey = ward.journey
    token = journey.sandbox.token
    async with journey.runtime.sessions.begin() as session:
        await remove_staff(session, "Olga", now=journey.clock.now(), actor="cli:test")
    for person in (journey.sandbox.user("Eve"), ward.staff["Olga"]):
        fields = _signed(person, token, journey.clock.now())
        answer = await _browser(ward).get(TELEGRAM_SIGN_IN_PATH, params=fields)
        assert answer.status_code == 403
    refused = await _sign_in_entries(ward)
    assert [entry.outcome for entry in refused] == ["refused", "refused"]


async def test_failed_tries_are_limited_per_address(ward: Ward) -> None:
    token, now = ward.journey.sandbox.token, ward.journey.clock.now()
    browser = _browser(ward)
    stale = _signed(ward.staff["Ana"], token, now - timedelta(hours=1))
    for _ in range(10):
        assert (await browser.get(TELEGRAM_SIGN_IN_PATH, params=stale)).status_code == 403
    good = _signed(ward.staff["Ana"], token, now)
    assert (await browser.get(TELEGRAM_SIGN_IN_PATH, params=good)).status_code == 429


async def test_without_telegram_login_the_route_is_not_there(ward: Ward) -> None:
    fields = _signed(ward.staff["Ana"], ward.journey.sandbox.token, ward.journey.clock.now())
    answer = await ward.client().get(TELEGRAM_SIGN_IN_PATH, params=fields)
    assert answer.status_code == 404
