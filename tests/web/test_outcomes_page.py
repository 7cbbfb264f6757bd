"""The outcomes report on the console: the command's report over the staff member's own
teams, filtered by a form whose bad values are said and left out, recorded in the audit log
as every report is, its figures inline under a policy that allows exactly that."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.web.http.security import CONTENT_SECURITY_POLICY
from db.models import AuditEntry, Staff, StaffRole, Team
from tests.web.conftest import Ward

EVERYONE = re.compile(r'<td class="label">all</td><td>([^<]*)</td>')


async def _id(ward: Ward, model: type[Staff] | type[Team], name: str) -> int:
    async with ward.journey.runtime.sessions() as session:
        found = await session.scalar(select(model.id).where(model.name == name))
    assert found is not None
    return found


async def test_staff_see_their_teams_patients_and_no_one_else(ward: Ward) -> None:
    await ward.red_flag("Maria", "Pedro")
    ana = await (await ward.signed_in("Ana")).get("/reports/outcomes")
    assert ana.status_code == 200
    assert EVERYONE.findall(ana.text) == ["&lt;5"]  # two patients: a small cell
    assert "spine-miss-lumbar" in ana.text and "Small cells" in ana.text
    olga = await (await ward.signed_in("Olga")).get("/reports/outcomes")
    assert olga.status_code == 200
    assert EVERYONE.findall(olga.text) == [] and "No patient in this scope." in olga.text
    assert "Cervical" in olga.text and "Spine" not in olga.text  # her teams only, to choose


async def test_the_figures_are_inline_pngs_and_the_policy_allows_exactly_those(
    ward: Ward,
) -> None:
    await ward.red_flag()
    page = await (await ward.signed_in("Ana")).get("/reports/outcomes")
    sources = re.findall(r'<img src="([^"]+)"', page.text)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    assert CONTENT_SECURITY_POLICY.count("data:") == 1
    assert "<script>" not in page.text and "<style>" not in page.text


async def test_a_team_not_hers_or_a_bad_date_is_said_and_left_out(ward: Ward) -> None:
    await ward.red_flag()
    spine = await _id(ward, Team, "Spine")
    olga = await ward.signed_in("Olga")
    page = await olga.get(f"/reports/outcomes?team={spine}&from=2026-02-30&pathway=knee")
    assert page.status_code == 200
    assert "The team asked for is not one of yours" in page.text
    assert "There is no such pathway" in page.text
    assert "is not a date (YYYY-MM-DD)" in page.text
    assert EVERYONE.findall(page.text) == []  # Spine's patient is not read for her
    ana = await ward.signed_in("Ana")
    backwards = await ana.get("/reports/outcomes?from=2026-03-10&to=2026-03-01")
    assert "after “Surgery to”" in backwards.text
    assert EVERYONE.findall(backwards.text) == ["&lt;5"]  # both dates left out


async def test_a_filter_narrows_the_report(ward: Ward) -> None:
    await ward.red_flag()
    ana = await ward.signed_in("Ana")
    spine = await _id(ward, Team, "Spine")
    chosen = await ana.get(f"/reports/outcomes?team={spine}&pathway=spine-miss-lumbar")
    assert EVERYONE.findall(chosen.text) == ["&lt;5"]
    assert f'<option value="{spine}" selected>Spine</option>' in chosen.text
    later = await ana.get("/reports/outcomes?from=2030-01-01")
    assert EVERYONE.findall(later.text) == [] and 'value="2030-01-01"' in later.text
    other = await ana.get("/reports/outcomes?pathway=spine-open-fusion")
    assert EVERYONE.findall(other.text) == []


async def test_each_reading_is_recorded_by_scope_without_patient_data(ward: Ward) -> None:
    await ward.red_flag()
    ana = await ward.signed_in("Ana")
    await ana.get("/reports/outcomes?pathway=spine-miss-lumbar&from=2026-01-01")
    async with ward.journey.runtime.sessions() as session:
        (entry,) = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "outcomes.report")
        )
    assert entry.actor_ref == f"staff:{await _id(ward, Staff, 'Ana')}"
    assert entry.origin == "console" and entry.patient_ref is None
    assert entry.detail["teams"] == [await _id(ward, Team, "Spine")]
    assert entry.detail["pathways"] == ["spine-miss-lumbar"]
    assert entry.detail["surgery_from"] == "2026-01-01" and entry.detail["format"] == "page"
    assert "P-001" not in str(entry.detail) and "Maria" not in str(entry.detail)


async def test_the_navigation_offers_it_to_staff(ward: Ward) -> None:
    page = await (await ward.signed_in("Olga")).get("/")
    assert '<a href="/reports/outcomes">Outcomes</a>' in page.text


async def test_a_surgeon_of_the_team_reads_it_too(ward: Ward) -> None:
    await ward.red_flag()
    await ward.journey.staff_member("Sam", StaffRole.SURGEON)
    page = await (await ward.signed_in("Sam")).get("/reports/outcomes")
    assert page.status_code == 200 and EVERYONE.findall(page.text) == ["&lt;5"]
