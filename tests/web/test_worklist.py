"""The worklist: my teams' open alerts, the most urgent first; acknowledged and resolved
through the same use cases as the card's buttons in the team chat."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.telegram.callbacks import Acknowledge, encode
from db.models import AlertEvent, AlertStatus, AuditEntry
from tests.fixtures.journey import buttons
from tests.web.conftest import Ward, csrf_of

HTMX = {"HX-Request": "true"}


def rows(page: str) -> list[str]:
    """The patients' references in the worklist's order."""
    return re.findall(r"<strong>(P-\d+)</strong>", page)


async def test_the_worklist_shows_the_alert_with_what_a_nurse_needs(ward: Ward) -> None:
    await ward.red_flag()
    browser = await ward.signed_in("Ana")
    page = (await browser.get("/")).text
    assert rows(page) == ["P-001"]
    assert "Maria" in page and "POD 1" in page
    assert "minimally invasive (MIS) decompression pathway" in page
    assert "wound_bleeding soaked" in page  # the answer that fired the rule
    assert "Urgent" in page and "Not yet" in page
    assert "Acknowledge</button>" in page


async def test_findings_carry_their_units(ward: Ward) -> None:
    from bot.alerts.worklist import with_unit
    from bot.protocols.sources import load_protocols

    protocol = load_protocols(None)["spine-miss-lumbar"].protocol
    assert with_unit(38.6, "temperature", protocol) == "38.6 °C"
    assert with_unit(8, "pain_leg", protocol) == "8/10"
    assert with_unit(True, "urinary_retention", protocol) == "yes"


async def test_another_teams_nurse_sees_none_of_its_alerts(ward: Ward) -> None:
    await ward.red_flag()
    alert = await ward.alert()
    browser = await ward.signed_in("Olga")
    page = (await browser.get("/")).text
    assert rows(page) == [] and "No open alerts for your teams" in page
    assert (await browser.get(f"/?team={alert.id}")).status_code == 200
    assert rows((await browser.get("/?team=1")).text) == []  # Spine's id: not hers
    acknowledged = await browser.post(
        f"/alerts/{alert.id}/acknowledge", data={"csrf": csrf_of(page)}
    )
    assert acknowledged.status_code == 404
    assert (await ward.alert()).status is AlertStatus.OPEN


async def test_acknowledging_on_the_console_updates_the_team_chats_card(ward: Ward) -> None:
    await ward.red_flag()
    alert = await ward.alert()
    journey = ward.journey
    browser = await ward.signed_in("Ana")
    page = (await browser.get("/")).text
    answer = await browser.post(
        f"/alerts/{alert.id}/acknowledge", data={"csrf": csrf_of(page)}, headers=HTMX
    )
    assert answer.status_code == 200
    assert f"Acknowledged: alert #{alert.id}." in answer.text
    assert "Ana at" in answer.text and "Acknowledge</button>" not in answer.text
    await journey.settle()
    card = journey.last(journey.ward)
    assert "✅ Acknowledged by Ana at" in card["text"]
    assert [label for label, _ in buttons(card)] == ["Resolve", "Add note", "Open console"]
    async with journey.runtime.sessions() as session:
        entry = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "alert.acknowledge")
        )
    assert entry is not None and entry.origin == "console" and entry.outcome == "done"


async def test_the_first_acknowledgement_wins_across_telegram_and_the_console(
    ward: Ward,
) -> None:
    await ward.red_flag()
    alert = await ward.alert()
    journey = ward.journey
    browser = await ward.signed_in("Ana")
    page = (await browser.get("/")).text  # Ana sees the button...
    card = journey.card()
    ines = ward.staff["Ines"]
    journey.sandbox.press_button(ines, card, encode(Acknowledge(alert.id)), chat=journey.ward)
    await journey.settle()  # ...while Ines acknowledges in Telegram
    late = await browser.post(
        f"/alerts/{alert.id}/acknowledge", data={"csrf": csrf_of(page)}, headers=HTMX
    )
    assert "Already acknowledged by Ines." in late.text
    refreshed = await browser.get("/", headers=HTMX)
    assert "Ines at" in refreshed.text
    assert (await ward.alert()).acknowledged_by == (await _staff_id(ward, "Ines"))


async def _staff_id(ward: Ward, name: str) -> int:
    from db.models import Staff

    async with ward.journey.runtime.sessions() as session:
        found = await session.scalar(select(Staff.id).where(Staff.name == name))
    assert found is not None
    return found


async def test_resolving_with_an_outcome_grade_and_note(ward: Ward) -> None:
    await ward.red_flag()
    alert = await ward.alert()
    journey = ward.journey
    browser = await ward.signed_in("Ana")
    form = await browser.get(f"/alerts/{alert.id}/resolve")
    assert form.status_code == 200 and "Clavien–Dindo grade" in form.text
    csrf = csrf_of(form.text)
    wrong = await browser.post(
        f"/alerts/{alert.id}/resolve", data={"csrf": csrf, "outcome": "false_alarm", "grade": "II"}
    )
    assert wrong.status_code == 400 and (await ward.alert()).status is AlertStatus.OPEN
    done = await browser.post(
        f"/alerts/{alert.id}/resolve",
        data={"csrf": csrf, "outcome": "clinic_visit", "grade": "I", "note": "Dressing changed"},
    )
    assert done.status_code == 303
    resolved = await ward.alert()
    assert resolved.status is AlertStatus.RESOLVED
    assert (resolved.outcome, resolved.clavien_dindo) == ("clinic_visit", "I")
    async with journey.runtime.sessions() as session:
        event = await session.scalar(select(AlertEvent).where(AlertEvent.kind == "resolved"))
    assert event is not None and event.detail["note"] == "Dressing changed"
    await journey.settle()
    assert "Resolved by Ana" in journey.last(journey.ward)["text"]
    assert rows((await browser.get("/")).text) == []


async def test_the_most_urgent_and_most_overdue_come_first_and_filters_narrow(
    ward: Ward,
) -> None:
    await ward.red_flag("Maria", "Lucia", every=timedelta(minutes=30))
    ward.journey.clock.advance(timedelta(hours=2))
    browser = await ward.signed_in("Ana")
    page = (await browser.get("/")).text
    assert rows(page) == ["P-001", "P-002"]  # the same tier: the longer past its target first
    assert "past the" in page
    first = re.search(r'action="/alerts/(\d+)/acknowledge"', page)
    assert first is not None
    await browser.post(f"/alerts/{first.group(1)}/acknowledge", data={"csrf": csrf_of(page)})
    assert rows((await browser.get("/?mine=1")).text) == ["P-001"]  # acknowledged by me
    assert rows((await browser.get("/?tier=amber")).text) == []
    # P-001 acknowledged is past its target no more: P-002, still waiting, comes first.
    assert rows((await browser.get("/?tier=red_urgent")).text) == ["P-002", "P-001"]


async def test_the_lists_refresh_is_answered_204_while_nothing_changed(ward: Ward) -> None:
    await ward.red_flag()
    browser = await ward.signed_in("Ana")
    page = (await browser.get("/")).text
    seen = re.search(r"seen=([0-9a-f]+)", page)
    assert seen is not None
    poll = {**HTMX, "X-Console-Refresh": "poll"}
    assert (await browser.get(f"/?seen={seen.group(1)}", headers=poll)).status_code == 204
    ines = ward.staff["Ines"]
    alert = await ward.alert()
    journey = ward.journey
    journey.sandbox.press_button(
        ines, journey.card(), encode(Acknowledge(alert.id)), chat=journey.ward
    )
    await journey.settle()
    changed = await browser.get(f"/?seen={seen.group(1)}", headers=poll)
    assert changed.status_code == 200 and "Ines at" in changed.text
    assert "<html" not in changed.text  # only the list, for htmx to swap in


async def test_a_person_looking_at_the_list_is_audited_and_its_refreshes_are_not(
    ward: Ward,
) -> None:
    await ward.red_flag()
    alert = await ward.alert()
    browser = await ward.signed_in("Ana")
    await browser.get("/")
    for _ in range(3):
        await browser.get("/", headers={**HTMX, "X-Console-Refresh": "poll"})
    async with ward.journey.runtime.sessions() as session:
        views = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "alerts.view"))
        )
    assert [(v.origin, v.actor_ref, v.detail["alerts"]) for v in views] == [
        ("console", f"staff:{await _staff_id(ward, 'Ana')}", [alert.id])
    ]


async def test_a_long_list_comes_a_page_at_a_time_the_most_urgent_first(
    ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.alerts.worklist.PAGE_SIZE", 2)
    monkeypatch.setattr("bot.web.pages.worklist.PAGE_SIZE", 2)
    await ward.red_flag("Maria", "Lucia", "Rosa", every=timedelta(minutes=30))
    ward.journey.clock.advance(timedelta(hours=2))
    browser = await ward.signed_in("Ana")
    first = (await browser.get("/")).text
    assert rows(first) == ["P-001", "P-002"]
    assert "3 open alerts" in first and "Alerts 1–2 of 3" in first
    assert 'href="/?page=2">Less urgent' in first
    second = (await browser.get("/?page=2")).text
    assert rows(second) == ["P-003"]
    assert 'href="/?page=1">‹ More urgent' in second
    assert "seen=" in second and "/?page=2&amp;seen=" in second  # its refresh keeps the page
    assert rows((await browser.get("/?page=99")).text) == ["P-003"]  # past the end: the last
    async with ward.journey.runtime.sessions() as session:
        views = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "alerts.view"))
        )
    assert [len(v.detail["alerts"]) for v in views] == [2, 1, 1]  # what each page showed
