"""A patient's page: named by an opaque id, not theirs for another team, every load by a
person audited, with charts, check-ins and alerts."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.telegram.callbacks import Acknowledge, encode
from db.models import AuditEntry, Episode
from tests.web.conftest import Ward, csrf_of

HTMX = {"HX-Request": "true"}


async def _episode_id(ward: Ward) -> int:
    async with ward.journey.runtime.sessions() as session:
        found = await session.scalar(select(Episode.id))
    assert found is not None
    return found


async def test_the_patient_page_shows_header_charts_answers_and_alert_events(
    ward: Ward,
) -> None:
    await ward.red_flag("Maria")
    journey = ward.journey
    alert = await ward.alert()
    journey.sandbox.press_button(
        ward.staff["Ines"], journey.card(), encode(Acknowledge(alert.id)), chat=journey.ward
    )
    await journey.settle()
    browser = await ward.signed_in("Ana")
    worklist = (await browser.get("/")).text
    link = re.search(r'href="(/patients/\d+)"', worklist)
    assert link is not None and "P-001" not in link.group(1)  # never the reference
    page = (await browser.get(link.group(1))).text
    assert "<h1>P-001 · Maria</h1>" in page
    assert "MIS lumbar discectomy" in page and "Europe/Madrid" in page and "POD 1 today" in page
    assert page.count('<svg class="chart"') == 3 and "38.0 °C" in page
    assert "wound_bleeding" in page and "soaked" in page  # the answer, on the timeline
    assert "How does your dressing look?" in page  # beside the question as it was asked
    assert "Raised" in page and "Acknowledged" in page and "Ines" in page
    sent = re.search(r"<td>([^<]*)</td>\s*<td>Card sent</td>\s*<td>—</td>\s*<td>([^<]*)</td>", page)
    assert sent is not None, "the card's delivery is not on the alert's timeline"
    assert sent.group(2) == "to: Spine team chat" and re.fullmatch(
        r"\d+ \w+ \d\d:\d\d", sent.group(1)
    )
    assert re.search(r'<span class="rule">[\w.-]+</span>', page)  # rule ids shown


async def test_another_teams_patient_is_a_404(ward: Ward) -> None:
    await ward.red_flag("Maria")
    browser = await ward.signed_in("Olga")
    assert (await browser.get(f"/patients/{await _episode_id(ward)}")).status_code == 404
    assert (await browser.get("/patients/999")).status_code == 404


async def test_each_load_by_a_person_is_audited_and_refreshes_are_not(ward: Ward) -> None:
    await ward.red_flag("Maria")
    browser = await ward.signed_in("Ana")
    path = f"/patients/{await _episode_id(ward)}"
    await browser.get(path)
    await browser.get(path, headers={**HTMX, "X-Console-Refresh": "poll"})
    await browser.get(path)
    async with ward.journey.runtime.sessions() as session:
        views = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.view"))
        )
    assert [(v.origin, v.patient_ref) for v in views] == [("console", "P-001")] * 2
    assert csrf_of((await browser.get(path)).text)
