"""The console in a real browser, as a nurse uses it: signed in with the bot's one-time link,
the alert a patient raised in Telegram on the worklist, acknowledged with a click, and the
team chat's card saying who. axe-core finds no serious or critical accessibility problem.

The console is served by uvicorn on a free port of this machine, in the test's own event
loop beside the bot (which runs on the fake clock); only the page's refresh takes real time.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect
from sqlalchemy import update

from bot.telegram.callbacks import Acknowledge, encode
from bot.web.app import console_app
from bot.web.http.server import ConsoleServer
from db.models import Episode
from tests.fixtures.browser import ARTIFACTS
from tests.fixtures.journey import buttons
from tests.web.conftest import POD1_9AM, Ward
from tests.web.test_protocols import store_changed_version

BAD = ("serious", "critical")
SHEET_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs/images/console-enrol-sheet.png"


@pytest.fixture
async def served(ward: Ward) -> AsyncIterator[Ward]:
    """The ward's console on http://127.0.0.1:PORT, as `eras run` serves it."""
    server = ConsoleServer(console_app(ward.console), "127.0.0.1:0")
    await server.start()
    # Sign-in links point at the console's own address, known once it listens.
    ward.console.console_url = url = f"http://127.0.0.1:{server.port}"
    services = ward.journey.runtime.services
    services.site = replace(services.site, console_url=url)
    try:
        yield ward
    finally:
        await server.stop()


async def _no_serious_violations(page: Any, name: str) -> None:
    results = await Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in BAD]
    assert not bad, "\n".join(f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in bad)
    await page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


async def _sign_in_from_telegram(ward: Ward, page: Any, name: str = "Ana") -> None:
    journey = ward.journey
    journey.sandbox.send_text(ward.staff[name], "/console")
    await journey.settle()
    text = journey.last(ward.staff[name])["text"]
    link = next(word for word in text.split() if word.startswith(ward.console.console_url))
    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to the care-team console"
    )
    await _no_serious_violations(page, "sign-in")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Worklist")


async def test_a_nurse_signs_in_sees_the_alert_and_acknowledges_it(
    served: Ward, browser_page: Any
) -> None:
    ward, page, journey = served, browser_page, served.journey
    complaints: list[str] = []  # the browser's console: a CSP refusal, a script error
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: complaints.append(str(error)))
    await ward.red_flag()  # Maria answers in Telegram: her dressing is soaked
    await _sign_in_from_telegram(ward, page)
    row = page.get_by_role("row").filter(has_text="P-001")
    await expect(row).to_contain_text("Maria")
    await expect(row).to_contain_text("wound_bleeding soaked")
    await expect(row).to_contain_text("Urgent")
    await _no_serious_violations(page, "worklist")

    await row.get_by_role("button", name="Acknowledge").click()
    await expect(page.get_by_role("status")).to_contain_text("Acknowledged: alert #")
    await expect(row).to_contain_text("Ana at")
    await journey.settle()  # the bot sends what the console wrote to the outbox
    assert "✅ Acknowledged by Ana at" in journey.last(journey.ward)["text"]
    await page.screenshot(path=ARTIFACTS / "worklist-acknowledged.png", full_page=True)

    await row.get_by_role("link", name="Resolve").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Resolve alert")
    await _no_serious_violations(page, "resolve")
    assert complaints == []


async def test_an_acknowledgement_in_telegram_shows_on_the_open_worklist_within_10_s(
    served: Ward, browser_page: Any
) -> None:
    ward, page, journey = served, browser_page, served.journey
    await ward.red_flag()
    await _sign_in_from_telegram(ward, page)
    row = page.get_by_role("row").filter(has_text="P-001")
    await expect(row).to_contain_text("Not yet")
    alert = await ward.alert()
    journey.sandbox.press_button(
        ward.staff["Ines"], journey.card(), encode(Acknowledge(alert.id)), chat=journey.ward
    )
    await journey.settle()
    await expect(row).to_contain_text("Ines at", timeout=10_000)  # the page's own refresh


async def test_pages_for_someone_not_signed_in_are_accessible(
    served: Ward, browser_page: Any
) -> None:
    page = browser_page
    await page.goto(served.console.console_url + "/")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Sign in to the care-team console"
    )
    await _no_serious_violations(page, "signed-out")


async def test_the_roster_searched_and_sorted_with_the_keyboard_alone(
    served: Ward, browser_page: Any
) -> None:
    ward, page, journey = served, browser_page, served.journey
    await ward.red_flag("Maria", "Mario")  # both answering on POD 1, alerts open
    await journey.enrol("P-003", display_name="Lucia")  # enrolled, never linked
    async with journey.runtime.sessions.begin() as session:
        for episode_id, rate, score in ((1, 80, 60), (2, 100, 75)):
            await session.execute(
                update(Episode)
                .where(Episode.id == episode_id)
                .values(response_rate=rate, recovery_score=score)
            )
    await _sign_in_from_telegram(ward, page)
    await page.get_by_role("link", name="Roster").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Roster")
    await expect(page.get_by_role("heading", level=2)).to_have_text("3 patients")
    await _no_serious_violations(page, "roster")

    await page.get_by_label("Reference or name").focus()
    await page.keyboard.type("mari")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=2)).to_contain_text("2 patients matching")
    assert "mari" not in page.url  # the terms were posted
    await page.get_by_role("button", name="Sort by response rate, ascending").focus()
    await page.keyboard.press("Enter")
    rows = page.get_by_role("row")
    await expect(rows.nth(1)).to_contain_text("P-001")  # 80 % before 100 %
    await expect(rows.nth(2)).to_contain_text("P-002")
    await expect(page.get_by_label("Reference or name")).to_have_value("mari")
    await _no_serious_violations(page, "roster-searched")


async def test_a_patients_page_from_the_worklist_with_the_keyboard_alone(
    served: Ward, browser_page: Any
) -> None:
    ward, page, journey = served, browser_page, served.journey
    maria, _ = await journey.enrolled_patient("Maria", ref="P-001", display_name="Maria")
    await journey.at(POD1_9AM)  # POD 1 answered in full, the first choice each time
    while journey.question_id(maria) is not None:
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    await journey.type(maria, "1")  # days since the last bowel movement
    while journey.question_id(maria) is not None:
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    await journey.at(POD1_9AM + timedelta(days=1))  # POD 2: her dressing is soaked
    for choice in ("none", "normal", "soaked"):
        await journey.answer(maria, choice)
    await _sign_in_from_telegram(ward, page)
    await page.get_by_role("link", name="P-001 · Maria").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("P-001 · Maria")
    await expect(page.get_by_role("img", name="Pain by post-operative day (0–10)")).to_be_visible()
    await expect(
        page.get_by_role("img", name="Temperature by post-operative day (°C)")
    ).to_be_visible()
    await expect(page.get_by_role("heading", name="Urgent alert #")).to_be_visible()
    await _no_serious_violations(page, "patient")


async def test_an_admin_reads_a_protocol_its_versions_and_the_audit_log_with_the_keyboard(
    served: Ward, browser_page: Any
) -> None:
    ward, page = served, browser_page
    await ward.red_flag()
    await store_changed_version(ward)
    await _sign_in_from_telegram(ward, page, "Ines")
    await page.get_by_role("link", name="Protocols").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Protocols")
    await _no_serious_violations(page, "protocols")
    await page.get_by_role("link", name="Lumbar spine surgery, minimally invasive").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Rules")).to_be_visible()
    await expect(page.get_by_role("heading", name="Emergency")).to_be_visible()
    await _no_serious_violations(page, "protocol")
    await page.get_by_role("link", name="Compare stored versions").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_contain_text("between two versions")
    await page.get_by_role("button", name="Compare").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=2)).to_contain_text("From 2 to 9:")
    await _no_serious_violations(page, "protocol-versions")

    await page.get_by_role("link", name="Audit").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    await expect(page.get_by_role("status")).to_contain_text("Chain verified")
    await _no_serious_violations(page, "audit")
    await page.get_by_label("Action").select_option("console.sign_in")
    await page.get_by_role("button", name="Filter").focus()
    await page.keyboard.press("Enter")
    rows = page.get_by_role("row")
    await expect(rows.nth(1)).to_contain_text("Ines")
    await expect(rows.nth(1)).to_contain_text("console.sign_in")
    assert page.url.endswith("/audit")  # the filter was posted
    await page.get_by_label("Action").select_option("")
    await page.get_by_role("textbox", name="Patient").fill("P-001")
    await page.get_by_role("button", name="Filter").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=2)).to_contain_text("Every entry about P-001")
    await expect(rows.nth(1)).to_contain_text("P-001")
    await _no_serious_violations(page, "audit-patient")
    assert "P-001" not in page.url
    await page.get_by_role("textbox", name="Patient").fill("P-404")
    await page.get_by_role("button", name="Filter").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("alert")).to_contain_text("no such patient in your teams")


async def test_a_nurse_enrols_with_the_keyboard_and_the_sheet_prints_on_one_a4_page(
    served: Ward, browser_page: Any
) -> None:
    ward, page = served, browser_page
    complaints: list[str] = []  # a CSP refusal of the sheet's style or script would show here
    page.on("console", lambda m: complaints.append(m.text) if m.type == "error" else None)
    page.on("response", lambda r: complaints.append(r.url) if r.status >= 400 else None)
    await _sign_in_from_telegram(ward, page)
    await page.get_by_role("link", name="Enrol").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Enrol a patient")
    await _no_serious_violations(page, "enrol")
    today = ward.journey.clock.now().date()
    await page.get_by_label("Reference").focus()
    for typed in (
        "E-200",  # reference
        "Rosa",  # name
        "",  # team: her only one, chosen already
        "spine-miss-lumbar",  # protocol, chosen by typing its start
        "MIS discectomy",  # operation
        str(today - timedelta(days=1)),  # surgery
        str(today),  # discharge
        "",  # time zone: the team's
        "es",  # language
    ):
        await page.keyboard.type(typed)
        await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")  # past the box for a far date, to the button
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Su seguimiento después de la cirugía"
    )
    assert "start=" not in page.url  # the link is in the page, never in its address
    await expect(page.locator(".qr svg")).to_have_count(1)
    await _no_serious_violations(page, "enrol-sheet")
    await page.screenshot(path=SHEET_SCREENSHOT, full_page=True)
    pdf = await page.pdf(format="A4")
    pages = re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)
    assert len(pages) == 1, f"the sheet printed on {len(pages)} pages"
    assert complaints == []


OUTCOMES_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs/images/console-outcomes.png"


async def test_a_nurse_reads_the_outcomes_report_with_the_keyboard_alone(
    served: Ward, browser_page: Any
) -> None:
    ward, page = served, browser_page
    await ward.red_flag("Maria", "Pedro")
    await _sign_in_from_telegram(ward, page)
    await page.get_by_role("link", name="Outcomes").focus()
    await page.keyboard.press("Enter")
    # The first report loads the statistics and plotting libraries: seconds on a busy machine.
    await expect(page.get_by_role("heading", level=1)).to_have_text("Outcomes", timeout=60_000)
    await page.get_by_label("Pathway").select_option("spine-miss-lumbar")
    await page.get_by_label("Surgery from").fill("2026-01-01")
    await page.get_by_role("button", name="Show").focus()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Recovery milestones")).to_be_visible(
        timeout=30_000
    )
    assert "pathway=spine-miss-lumbar" in page.url and "P-001" not in page.url
    # The figures are inline PNGs: drawn, so the page's policy lets exactly those in.
    figures = page.get_by_role("img", name=re.compile("Share of patients who reached"))
    await expect(figures).to_have_count(2)
    widths = await figures.evaluate_all("images => images.map(i => i.naturalWidth)")
    assert all(width > 0 for width in widths), widths
    await _no_serious_violations(page, "outcomes")
    OUTCOMES_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=OUTCOMES_SCREENSHOT, full_page=True)
