"""Enrol on the console: the command line's fields and checks, each problem beside its field
with what was typed kept, nothing written on a refusal; on success the link and the
printable sheet, in the answer to the post (never in a URL), audited like the command."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from db.models import AuditEntry, Episode, Patient, StaffRole, Team
from tests.web.conftest import Ward, csrf_of


async def team_id(ward: Ward, name: str) -> str:
    async with ward.journey.runtime.sessions() as session:
        found = await session.scalar(select(Team.id).where(Team.name == name))
    assert found is not None
    return str(found)


async def filled_form(ward: Ward, **changes: str) -> dict[str, str]:
    today = ward.journey.clock.now().date()
    form = {
        "ref": "E-100",
        "name": "Rosa",
        "team": await team_id(ward, "Spine"),
        "protocol": "spine-miss-lumbar",
        "procedure": "MIS discectomy",
        "surgery_date": str(today - timedelta(days=1)),
        "discharge_date": str(today),
        "time_zone": "",
        "language": "es",
    }
    return {**form, **changes}


async def enrol(ward: Ward, who: str, form: dict[str, str]) -> tuple[int, str]:
    browser = await ward.signed_in(who)
    csrf = csrf_of((await browser.get("/patients/new")).text)
    answer = await browser.post("/patients/new", data={"csrf": csrf, **form})
    return answer.status_code, answer.text


async def counts(ward: Ward) -> tuple[int, int]:
    async with ward.journey.runtime.sessions() as session:
        patients = await session.scalar(select(func.count()).select_from(Patient))
        episodes = await session.scalar(select(func.count()).select_from(Episode))
    return patients or 0, episodes or 0


async def test_a_nurse_enrols_a_patient_who_then_is_on_the_roster(ward: Ward) -> None:
    status, page = await enrol(ward, "Ana", await filled_form(ward))
    assert status == 200, page
    bot = ward.journey.sandbox.bot_username
    assert f"https://t.me/{bot}?start=" in page  # the link, shown once, in the post's answer
    assert "<svg" in page and "Enrolled E-100" in page
    assert '<html lang="es">' in page  # the sheet speaks the patient's language
    assert "Señales de alarma" in page and "☎ 112" in page
    assert "(2026" in page or "a las 09:00" in page  # when the check-ins come
    roster = (await (await ward.signed_in("Ana")).get("/patients")).text
    assert "<strong>E-100</strong> · Rosa" in roster
    async with ward.journey.runtime.sessions() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "patient.enrol"))
    assert entry is not None
    assert (entry.actor_kind, entry.origin, entry.patient_ref) == ("staff", "console", "E-100")


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"ref": ""}, "ref", "the reference is empty"),
        ({"ref": "=HYPERLINK(1)"}, "ref", "spreadsheet formula"),
        ({"surgery_date": "2026-02-30"}, "surgery_date", "is not a date"),
        ({"surgery_date": "2020-01-01"}, "surgery_date", "more than 90"),
        ({"discharge_date": "2020-01-01"}, "discharge_date", "before the surgery date"),
        ({"protocol": "spine-made-up"}, "protocol", "spine-made-up"),
        ({"time_zone": "Europe/Madird"}, "time_zone", "did you mean Europe/Madrid?"),
        ({"language": "fr"}, "language", "not &#39;fr&#39;"),
    ],
)
async def test_bad_input_is_named_beside_its_field_keeps_what_was_typed_and_writes_nothing(
    ward: Ward, changes: dict[str, str], field: str, says: str
) -> None:
    form = await filled_form(ward, **changes)
    before = await counts(ward)
    status, page = await enrol(ward, "Ana", form)
    assert status == 422
    assert "Nothing was enrolled" in page
    beside = page.split(f'id="{field}-problem">')[1].split("</p>")[0]
    assert says in beside
    assert f'value="{form["name"]}"' in page and 'value="MIS discectomy"' in page
    assert await counts(ward) == before


async def test_a_reference_already_followed_is_refused_and_nothing_more_is_written(
    ward: Ward,
) -> None:
    assert (await enrol(ward, "Ana", await filled_form(ward)))[0] == 200
    before = await counts(ward)
    status, page = await enrol(ward, "Ana", await filled_form(ward, name="Other"))
    assert status == 422
    assert "already has a follow-up in progress" in page.split('id="ref-problem">')[1]
    assert await counts(ward) == before


async def test_a_forged_team_of_another_ward_is_refused(ward: Ward) -> None:
    form = await filled_form(ward, team=await team_id(ward, "Cervical"))
    before = await counts(ward)
    status, page = await enrol(ward, "Ana", form)
    assert status == 422
    assert "choose one of your teams" in page.split('id="team-problem">')[1]
    assert "Cervical" not in page  # her form offers her own teams only
    assert await counts(ward) == before


async def test_a_date_far_from_today_is_taken_when_confirmed(ward: Ward) -> None:
    far = str(ward.journey.clock.now().date() - timedelta(days=120))
    form = await filled_form(ward, surgery_date=far, discharge_date="", confirm_date="yes")
    status, page = await enrol(ward, "Ana", form)
    assert status == 200, page
    assert date.fromisoformat(far).isoformat() in page


async def test_an_enrolment_without_the_forms_token_is_refused(ward: Ward) -> None:
    browser = await ward.signed_in("Ana")
    answer = await browser.post("/patients/new", data={"csrf": "forged", **await filled_form(ward)})
    assert answer.status_code == 403
    assert await counts(ward) == (0, 0)


async def test_the_enrol_link_is_in_the_navigation_of_nurses_and_admins(ward: Ward) -> None:
    for name in ("Ana", "Ines"):
        page = (await (await ward.signed_in(name)).get("/")).text
        assert 'href="/patients/new"' in page


async def test_a_surgeon_may_not_enrol_and_is_not_offered_to(ward: Ward) -> None:
    await ward.journey.staff_member("Sam", StaffRole.SURGEON)
    browser = await ward.signed_in("Sam")
    assert 'href="/patients/new"' not in (await browser.get("/")).text
    assert (await browser.get("/patients/new")).status_code == 403
