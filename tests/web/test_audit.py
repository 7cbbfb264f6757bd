"""The audit page: an admin reads their teams' part of the log (who, what, when, which
record), filtered and paged newest first by keyset, with the chain's verification; nurses
are refused; each reading is itself recorded."""

from __future__ import annotations

import re
from html import unescape

import httpx
import pytest
from sqlalchemy import func, or_, select

from bot.reports.team_audit import PAGE_SIZE
from db.audit import append
from db.models import AuditEntry, Episode, Patient, Staff, StaffRole
from tests.web.conftest import Ward, csrf_of

CELL = r"<td>(.*?)</td>"


async def _staff_ref(ward: Ward, name: str) -> str:
    async with ward.journey.runtime.sessions() as session:
        staff_id = await session.scalar(select(Staff.id).where(Staff.name == name))
    return f"staff:{staff_id}"


async def _entries(ward: Ward, action: str) -> list[AuditEntry]:
    async with ward.journey.runtime.sessions() as session:
        found = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(found)


def _rows(page: str) -> list[list[str]]:
    """The table's rows, each a list of its cells' text."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    return [
        [
            unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


async def test_an_admin_sees_who_viewed_which_patient_and_that_the_chain_holds(
    ward: Ward,
) -> None:
    await ward.red_flag("Maria")
    alert = await ward.alert()
    ana = await ward.signed_in("Ana")
    async with ward.journey.runtime.sessions() as session:
        episode_id = await session.scalar(select(Episode.id))
    await ana.get(f"/patients/{episode_id}")
    await ward.signed_in("Olga")  # another team's nurse signs in: not Spine's business
    admin = await ward.signed_in("Ines")
    answer = await admin.get("/audit")
    assert answer.status_code == 200
    assert "Chain verified" in answer.text
    rows = _rows(answer.text)
    ids = [int(row[0]) for row in rows]
    assert ids == sorted(ids, reverse=True)  # newest first
    viewed = [row for row in rows if row[3] == "patient.view"]
    assert [(row[2], row[6]) for row in viewed] == [
        ("Ana", f"P-001 · episode {episode_id} · alert {alert.id}")
    ]
    olga = await _staff_ref(ward, "Olga")
    assert "Olga" not in answer.text and olga not in answer.text


async def test_a_nurse_is_refused_with_the_problem_page(ward: Ward) -> None:
    for name in ("Ana", "Olga"):
        answer = await (await ward.signed_in(name)).get("/audit")
        assert answer.status_code == 403
        assert "This page is for admins." in answer.text and "Not allowed" in answer.text
    assert await _entries(ward, "audit.view") == []


async def test_an_admin_of_another_team_does_not_see_this_teams_patients(ward: Ward) -> None:
    await ward.red_flag("Maria")
    await ward.journey.staff_member("Carla", StaffRole.ADMIN, team="Cervical")
    page = (await (await ward.signed_in("Carla")).get("/audit")).text
    assert "P-001" not in page and "Ana" not in page
    assert any(row[2] == "Carla" and row[3] == "console.sign_in" for row in _rows(page))


async def test_the_log_filters_by_who_what_and_which_days(ward: Ward) -> None:
    await ward.red_flag("Maria")
    await ward.signed_in("Ana")
    admin = await ward.signed_in("Ines")
    ana = await _staff_ref(ward, "Ana")
    rows = _rows((await admin.get("/audit", params={"actor": ana})).text)
    assert rows and {row[2] for row in rows} == {"Ana"}
    rows = _rows((await admin.get("/audit", params={"action": "console.sign_in"})).text)
    assert {row[2] for row in rows} == {"Ana", "Ines"}
    today = ward.journey.clock.now().date()
    rows = _rows((await admin.get("/audit", params={"since": str(today)})).text)
    assert rows
    page = (await admin.get("/audit", params={"until": str(today.replace(year=2020))})).text
    assert _rows(page) == [] and "No entry matches." in page


async def test_a_filter_it_cannot_read_is_said_and_left_out(ward: Ward) -> None:
    admin = await ward.signed_in("Ines")
    answer = await admin.get(
        "/audit", params={"since": "yesterday", "actor": "patient:P-001", "before": "9" * 40}
    )
    assert answer.status_code == 200
    assert "“From” is not a date (YYYY-MM-DD)." in answer.text
    assert "not one of your teams&#39;." in answer.text
    assert _rows(answer.text)  # the rest of the log, unfiltered


async def test_older_pages_follow_a_cursor_and_miss_or_repeat_nothing(ward: Ward) -> None:
    await ward.red_flag("Maria")
    journey = ward.journey
    async with journey.runtime.sessions.begin() as session:
        for n in range(PAGE_SIZE + 7):
            await append(
                session,
                at=journey.clock.now(),
                actor_kind="staff",
                actor_ref=await _staff_ref(ward, "Ana"),
                action="patient.view",
                origin="console",
                patient_ref="P-001",
                detail={"episode": n},
            )
    admin = await ward.signed_in("Ines")
    params = {"action": "patient.view"}
    first = (await admin.get("/audit", params=params)).text
    older = re.search(r'href="(/audit\?[^"]*before=\d+)">Older', first)
    assert older is not None
    second = (await admin.get(unescape(older.group(1)))).text
    assert "Chain verified" not in second  # verified with the first page only
    ids = [int(row[0]) for row in _rows(first) + _rows(second)]
    assert len(_rows(first)) == PAGE_SIZE and len(ids) == PAGE_SIZE + 7
    assert ids == sorted(set(ids), reverse=True)
    assert "Older" not in second


async def test_each_reading_of_the_log_is_itself_recorded(ward: Ward) -> None:
    admin = await ward.signed_in("Ines")
    await admin.get("/audit", params={"action": "console.sign_in"})
    await admin.get("/audit")
    readings = await _entries(ward, "audit.view")
    assert [r.actor_ref for r in readings] == [await _staff_ref(ward, "Ines")] * 2
    assert readings[0].detail["filter"]["action"] == "console.sign_in"
    assert readings[0].origin == "console" and readings[0].patient_ref is None


async def test_a_row_that_does_not_follow_the_chain_is_shown_as_broken(ward: Ward) -> None:
    admin = await ward.signed_in("Ines")
    async with ward.journey.runtime.sessions.begin() as session:
        last = await session.scalar(select(func.max(AuditEntry.id)))
        session.add(  # written around the application: a row that links to nothing
            AuditEntry(
                at=ward.journey.clock.now(),
                actor_kind="cli",
                actor_ref="cli:someone",
                action="patient.view",
                outcome="done",
                patient_ref=None,
                origin="cli",
                detail={},
                prev_hash="f" * 64,
                hash="e" * 64,
            )
        )
    page = (await admin.get("/audit")).text
    assert f"Chain broken at entry #{(last or 0) + 1}: does not follow the row before it" in page


async def _search(admin: httpx.AsyncClient, **fields: str) -> httpx.Response:
    """The filter form, posted as the page's own form would post it."""
    csrf = csrf_of((await admin.get("/audit")).text)
    return await admin.post("/audit", data={"csrf": csrf, **fields})


async def test_the_patient_filter_shows_every_entry_about_that_patient_and_only_them(
    ward: Ward,
) -> None:
    await ward.red_flag("Maria", "Juan")  # P-001 and P-002
    ana = await ward.signed_in("Ana")
    async with ward.journey.runtime.sessions() as session:
        episodes = dict(
            (await session.execute(select(Patient.ref, Episode.id).join(Episode))).tuples().all()
        )
    await ana.get(f"/patients/{episodes['P-001']}")
    await ana.get(f"/patients/{episodes['P-002']}")
    async with ward.journey.runtime.sessions() as session:
        about = await session.scalars(
            select(AuditEntry.id).where(
                or_(AuditEntry.patient_ref == "P-001", AuditEntry.actor_ref == "patient:P-001")
            )
        )
        expected = sorted(about, reverse=True)
    assert len(expected) >= 3  # enrolled, viewed…: not a vacuous match
    admin = await ward.signed_in("Ines")
    answer = await _search(admin, patient="P-001")
    assert answer.status_code == 200
    rows = _rows(answer.text)
    assert [int(row[0]) for row in rows] == expected
    assert all(row[6].startswith("P-001") or row[2] == "P-001" for row in rows)
    assert "P-002" not in answer.text
    assert "Every entry about P-001" in answer.text
    assert not re.search(r'href="[^"]*P-001', answer.text)  # never in an address
    [reading] = [e for e in await _entries(ward, "audit.view") if e.patient_ref == "P-001"]
    assert reading.detail["filter"]["patient"] is True and reading.outcome == "done"


@pytest.mark.parametrize("ref", ["P-404", "C-001", "x" * 200])
async def test_an_unknown_or_other_teams_patient_gets_the_same_clear_answer(
    ward: Ward, ref: str
) -> None:
    await ward.red_flag("Maria")
    await ward.journey.enrol("C-001", team="Cervical")  # Olga's team: not Ines's
    admin = await ward.signed_in("Ines")
    answer = await _search(admin, patient=ref)
    assert answer.status_code == 200
    assert "There is no such patient in your teams." in answer.text
    assert _rows(answer.text) == []
    readings = await _entries(ward, "audit.view")
    assert readings[-1].patient_ref is None and readings[-1].outcome == "refused"


async def test_a_patient_in_the_address_is_not_obeyed(ward: Ward) -> None:
    await ward.red_flag("Maria")
    admin = await ward.signed_in("Ines")
    page = (await admin.get("/audit", params={"patient": "P-001"})).text
    assert "Every entry about" not in page
    assert any(row[3] == "console.sign_in" for row in _rows(page))  # the log, unfiltered


async def test_pages_of_a_patients_entries_are_posted_forms(ward: Ward) -> None:
    await ward.red_flag("Maria")
    journey = ward.journey
    ana = await _staff_ref(ward, "Ana")
    async with journey.runtime.sessions.begin() as session:
        for n in range(PAGE_SIZE + 3):
            await append(
                session,
                at=journey.clock.now(),
                actor_kind="staff",
                actor_ref=ana,
                action="patient.view",
                origin="console",
                patient_ref="P-001",
                detail={"episode": n},
            )
    admin = await ward.signed_in("Ines")
    first = (await _search(admin, patient="P-001")).text
    assert "/audit?" not in first  # no link: it would drop the patient or carry it in a URL
    older = re.search(
        r'<button type="submit" form="audit-filter" name="before" value="(\d+)"', first
    )
    assert older is not None
    form = re.search(r'<form id="audit-filter".*?</form>', first, re.S)
    assert form is not None and 'name="patient" value="P-001"' in form.group(0)
    second = (await _search(admin, patient="P-001", before=older.group(1))).text
    ids = [int(row[0]) for row in _rows(first) + _rows(second)]
    assert ids == sorted(set(ids), reverse=True)
    assert all(row[6].startswith("P-001") for row in _rows(first) + _rows(second))
    assert "Newest</button>" in second and "Older" not in second.split("<tbody>")[-1]
