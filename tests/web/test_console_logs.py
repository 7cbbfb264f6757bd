"""The console logs no patient data and no sign-in token, at DEBUG as at INFO: not the
patient's name or reference, not a nurse's note, not a link's token, even when a page fails."""

from __future__ import annotations

import io
import logging

import httpx
import pytest

from bot.logs import configure_logging
from bot.web.app import console_app
from bot.web.pages import worklist
from tests.web.conftest import CONSOLE_URL, Ward, csrf_of


async def test_signing_in_and_working_the_list_leave_no_patient_data_in_the_log(
    ward: Ward, bot_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    await ward.red_flag("Zelda")
    alert = await ward.alert()
    configure_logging("DEBUG", stream=bot_log)
    logging.getLogger("uvicorn").setLevel(logging.DEBUG)
    token = await ward.link("Ana")
    browser = ward.client()
    await browser.get(f"/sign-in/{token}")
    await browser.post(f"/sign-in/{token}")
    await browser.post(f"/sign-in/{token}")  # used: refused
    page = (await browser.get("/")).text
    csrf = csrf_of(page)
    await browser.post(f"/alerts/{alert.id}/acknowledge", data={"csrf": csrf})
    note = "Zelda's dressing changed at home"
    await browser.post(
        f"/alerts/{alert.id}/resolve",
        data={"csrf": csrf, "outcome": "clinic_visit", "grade": "I", "note": note},
    )
    await browser.get("/nowhere/P-001")

    async def failing(*_: object, **__: object) -> None:
        raise ValueError("the query failed for Zelda, P-001")  # as a driver's error may

    monkeypatch.setattr(worklist, "worklist", failing)
    crashing = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=console_app(ward.console), raise_app_exceptions=False),
        base_url=CONSOLE_URL,
        cookies=browser.cookies,
    )
    async with crashing:
        assert (await crashing.get("/")).status_code == 500
    written = bot_log.getvalue()
    assert "console: get_worklist_page failed with ValueError" in written
    for secret in ("Zelda", "P-001", token, note):
        assert secret not in written
