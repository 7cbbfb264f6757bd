"""Correct on the console: the patient page's form calls the use case `eras patient update`
calls, with its checks and messages; a far date needs the box ticked, as on the enrol
page; nurses and admins of the patient's team only; CSRF; audited."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.sandbox import Person
from bot.staff.memberships import join_team
from db.models import AuditEntry, Episode, Patient, StaffRole, Team
from tests.web.conftest import Ward, csrf_of


async def _maria(ward: Ward) -> tuple[Person, int]:
    maria, enrolment = await ward.journey.enrolled_patient("Maria", ref="P-001")
    return maria, enrolment.episode_id


async def _post(ward: Ward, who: str, episode_id: int, **fields: str) -> tuple[int, str]:
    browser = await ward.signed_in(who)
    page = await browser.get(f"/patients/{episode_id}/correction")
    assert page.status_code == 200, page.text[:300]
    answer = await browser.post(
        f"/patients/{episode_id}/correction", data={"csrf": csrf_of(page.text), **fields}
    )
    return answer.status_code, html.unescape(answer.text)


async def _episode(ward: Ward, episode_id: int) -> tuple[date, str | None, str]:
    async with ward.journey.runtime.sessions() as session:
        episode = await session.get_one(Episode, episode_id)
        patient = await session.get_one(Patient, episode.patient_id)
        return episode.surgery_date, episode.procedure, patient.timezone


async def test_a_nurse_corrects_the_surgery_date_and_the_patient_is_told(ward: Ward) -> None:
    maria, episode_id = await _maria(ward)
    surgery, _, _ = await _episode(ward, episode_id)
    new = surgery - timedelta(days=1)
    status, _ = await _post(
        ward, "Ana", episode_id, surgery_date=new.isoformat(), procedure="L4-5 MIS-TLIF"
    )
    assert status == 303
    await ward.journey.settle()
    assert await _episode(ward, episode_id) == (new, "L4-5 MIS-TLIF", "Europe/Madrid")
    told = ward.journey.texts(maria)[-1]
    assert new.isoformat() in told and "L4-5 MIS-TLIF" in told
    async with ward.journey.runtime.sessions() as session:
        (entry,) = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "patient.update")
        )
        viewed = list(
            await session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "patient.view")
            )
        )
    assert (entry.actor_kind, entry.origin, entry.patient_ref) == ("staff", "console", "P-001")
    assert entry.detail["changed"] == ["surgery_date", "procedure"]
    assert {"episode": episode_id, "page": "correction"} in viewed
    page = html.unescape((await (await ward.signed_in("Ana")).get(f"/patients/{episode_id}")).text)
    assert new.isoformat() in page and "Correct the dates" in page


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"surgery_date": "2026-02-30"}, "surgery_date", "is not a date (YYYY-MM-DD)"),
        ({"surgery_date": "2020-01-01"}, "surgery_date", "more than 90: is it mistyped?"),
        ({"discharge_date": "2020-01-01"}, "discharge_date", "before the surgery date"),
        ({"time_zone": "Madrid"}, "time_zone", "did you mean Europe/Madrid?"),
        ({"language": "fr"}, "language", "not 'fr'"),
        ({"team": "9999"}, "team", "choose one of your teams"),
    ],
)
async def test_bad_input_is_named_beside_its_field_and_changes_nothing(
    ward: Ward, fields: dict[str, str], field: str, says: str
) -> None:
    _, episode_id = await _maria(ward)
    before = await _episode(ward, episode_id)
    status, page = await _post(ward, "Ana", episode_id, **fields)
    assert status == 422
    assert f'id="{field}-problem"' in page and says in page
    assert "Nothing was changed." in page
    assert await _episode(ward, episode_id) == before
    async with ward.journey.runtime.sessions() as session:
        assert (
            await session.scalar(select(AuditEntry.id).where(AuditEntry.action == "patient.update"))
            is None
        )


async def test_a_far_date_is_taken_when_confirmed(ward: Ward) -> None:
    _, episode_id = await _maria(ward)
    status, _ = await _post(
        ward, "Ana", episode_id, surgery_date="2026-01-05", confirm_date="yes", discharge_date=""
    )
    assert status == 303
    assert (await _episode(ward, episode_id))[0] == date(2026, 1, 5)


async def test_nothing_changed_is_said_by_the_page_not_sent(ward: Ward) -> None:
    maria, episode_id = await _maria(ward)
    told = len(ward.journey.texts(maria))
    status, _ = await _post(ward, "Ines", episode_id)  # the admin of the team, all as it was
    assert status == 303
    await ward.journey.settle()
    assert len(ward.journey.texts(maria)) == told


async def test_only_the_teams_nurses_and_admins_may_correct(ward: Ward) -> None:
    journey = ward.journey
    _, episode_id = await _maria(ward)
    await journey.staff_member("Sara", StaffRole.SURGEON)
    sara = await ward.signed_in("Sara")
    assert (await sara.get(f"/patients/{episode_id}/correction")).status_code == 403
    page = html.unescape((await sara.get(f"/patients/{episode_id}")).text)
    assert "Correct the dates" not in page
    olga = await ward.signed_in("Olga")
    assert (await olga.get(f"/patients/{episode_id}/correction")).status_code == 404
    before = await _episode(ward, episode_id)
    ana = await ward.signed_in("Ana")
    no_token = await ana.post(f"/patients/{episode_id}/correction", data={"procedure": "X"})
    assert no_token.status_code == 403
    assert await _episode(ward, episode_id) == before


async def test_a_patient_moves_only_to_a_team_where_the_nurse_may_enrol(ward: Ward) -> None:
    journey = ward.journey
    _, episode_id = await _maria(ward)
    async with journey.runtime.sessions.begin() as session:
        await join_team(
            session,
            "Ana",
            "Cervical",
            StaffRole.NURSE,
            on_call=False,
            now=journey.clock.now(),
            actor="cli:test",
        )
    browser = await ward.signed_in("Ana")
    form = (await browser.get(f"/patients/{episode_id}/correction")).text
    assert ">Cervical (" in form
    async with journey.runtime.sessions() as session:
        cervical = await session.scalar(select(Team.id).where(Team.name == "Cervical"))
    status, _ = await _post(ward, "Ana", episode_id, team=str(cervical))
    assert status == 303
    async with journey.runtime.sessions() as session:
        moved = await session.get_one(Episode, episode_id)
    assert moved.team_id == cervical
