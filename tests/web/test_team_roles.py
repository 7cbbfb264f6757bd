"""On the console a staff member's role is their role in the team in question: Nora, a
nurse of Spine and an admin of Cervical, writes to Spine's patients but not Cervical's,
reads Cervical's audit log but not Spine's, and loses a team the moment she leaves it."""

from __future__ import annotations

import html

from sqlalchemy import select

from bot.correspondence.authority import REFUSED
from bot.staff.memberships import join_team, leave_team, set_role
from db.models import StaffRole, Team
from tests.web.conftest import Ward, csrf_of

WORDS = "We will call you this afternoon."


async def _nora(ward: Ward) -> tuple[int, int]:
    """Nora, nurse of Spine and admin of Cervical; the episodes of Maria (Spine) and Pedro
    (Cervical)."""
    journey = ward.journey
    await journey.staff_member("Nora")
    async with journey.runtime.sessions.begin() as session:
        await join_team(
            session,
            "Nora",
            "Cervical",
            StaffRole.ADMIN,
            on_call=False,
            now=journey.clock.now(),
            actor="cli:test",
        )
    _, maria = await journey.enrolled_patient("Maria", ref="P-001")
    _, pedro = await journey.enrolled_patient("Pedro", ref="P-002", team="Cervical")
    return maria.episode_id, pedro.episode_id


async def _write(ward: Ward, who: str, episode_id: int) -> int:
    browser = await ward.signed_in(who)
    page = await browser.get(f"/patients/{episode_id}")
    assert page.status_code == 200
    answer = await browser.post(
        f"/patients/{episode_id}/messages", data={"csrf": csrf_of(page.text), "words": WORDS}
    )
    if answer.status_code == 403:
        assert REFUSED in html.unescape(answer.text)
    return answer.status_code


async def test_a_nurse_of_one_team_and_admin_of_another_writes_only_as_a_nurse(
    ward: Ward,
) -> None:
    maria, pedro = await _nora(ward)
    assert await _write(ward, "Nora", maria) == 303  # a nurse of Spine
    assert await _write(ward, "Nora", pedro) == 403  # an admin of Cervical


async def test_the_admin_pages_show_only_the_teams_she_is_admin_of(ward: Ward) -> None:
    maria, _ = await _nora(ward)
    ana = await ward.signed_in("Ana")
    await ana.get(f"/patients/{maria}")  # a Spine record viewed by a Spine nurse
    nora = await ward.signed_in("Nora")
    assert (await nora.get("/protocols")).status_code == 200
    audit = await nora.get("/audit")
    assert audit.status_code == 200
    assert "P-001" not in audit.text and "P-002" in audit.text
    header = html.unescape((await nora.get("/")).text)
    assert "Nora (admin, nurse)" in header


async def test_a_role_change_or_leaving_a_team_applies_to_the_next_request(ward: Ward) -> None:
    journey = ward.journey
    maria, pedro = await _nora(ward)
    nora = await ward.signed_in("Nora")
    assert (await nora.get(f"/patients/{pedro}")).status_code == 200
    async with journey.runtime.sessions.begin() as session:
        await set_role(
            session, "Nora", "Cervical", StaffRole.NURSE, now=journey.clock.now(), actor="t"
        )
    assert (await nora.get("/audit")).status_code == 403  # admin of no team now
    async with journey.runtime.sessions.begin() as session:
        await leave_team(session, "Nora", "Cervical", now=journey.clock.now(), actor="t")
    assert (await nora.get(f"/patients/{pedro}")).status_code == 404
    assert (await nora.get(f"/patients/{maria}")).status_code == 200


async def test_the_enrol_form_offers_only_the_teams_where_she_may_enrol(ward: Ward) -> None:
    journey = ward.journey
    await journey.staff_member("Sara", StaffRole.SURGEON)
    async with journey.runtime.sessions.begin() as session:
        await join_team(
            session,
            "Sara",
            "Cervical",
            StaffRole.NURSE,
            on_call=False,
            now=journey.clock.now(),
            actor="cli:test",
        )
    form = (await (await ward.signed_in("Sara")).get("/patients/new")).text
    assert ">Cervical (" in form and ">Spine (" not in form


async def test_the_enrolment_sheet_gives_the_team_s_number_and_phone(ward: Ward) -> None:
    from bot.staff.teams import set_contact
    from tests.web.test_enrolment import enrol, filled_form

    journey = ward.journey
    async with journey.runtime.sessions.begin() as session:
        await set_contact(
            session,
            "Spine",
            emergency_number="061",
            phone="+34 913 000 000",
            now=journey.clock.now(),
            actor="cli:test",
        )
    status, page = await enrol(ward, "Ana", await filled_form(ward, language="en"))
    assert status == 200, page
    assert "☎ 061" in page and "☎ 112" not in page
    assert "Questions that can wait: your care team (Spine), +34 913 000 000." in page
    async with journey.runtime.sessions() as session:
        cervical = await session.scalar(select(Team.id).where(Team.name == "Cervical"))
    form = await filled_form(ward, ref="E-101", language="en", team=str(cervical))
    status, page = await enrol(ward, "Olga", form)
    assert status == 200, page
    assert "☎ 112" in page and "Questions that can wait" not in page  # the default, no phone
