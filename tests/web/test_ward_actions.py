"""The ward's actions on the patient's page: put on hold, resume, withdraw and reissue the
link call the use cases `eras patient pause|resume|withdraw|link` call; nurses and admins of
the patient's team only; CSRF; audited with the staff member as the actor, from the
console; a refusal is said on the page and changes nothing."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from bot.sandbox import Person
from bot.telegram.callbacks import Pause
from db.models import AuditEntry, Episode, EpisodeStatus, Patient, StaffRole
from tests.web.conftest import Ward, csrf_of


async def _maria(ward: Ward) -> tuple[Person, int]:
    maria, enrolment = await ward.journey.enrolled_patient("Maria", ref="P-001")
    return maria, enrolment.episode_id


async def _post(
    ward: Ward, who: str, episode_id: int, action: str, **fields: str
) -> tuple[int, str]:
    browser = await ward.signed_in(who)
    page = await browser.get(f"/patients/{episode_id}")
    assert page.status_code == 200, page.text[:300]
    answer = await browser.post(
        f"/patients/{episode_id}/{action}", data={"csrf": csrf_of(page.text), **fields}
    )
    return answer.status_code, html.unescape(answer.text)


async def _status(ward: Ward, episode_id: int) -> EpisodeStatus:
    async with ward.journey.runtime.sessions() as session:
        return (await session.get_one(Episode, episode_id)).status


async def _audited(ward: Ward, action: str) -> list[AuditEntry]:
    """The entries the console wrote (the patient opening a link is a "patient.link" too)."""
    async with ward.journey.runtime.sessions() as session:
        return list(
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == action, AuditEntry.origin == "console"
                )
            )
        )


async def _page(ward: Ward, who: str, episode_id: int) -> str:
    browser = await ward.signed_in(who)
    return html.unescape((await browser.get(f"/patients/{episode_id}")).text)


async def test_a_nurse_puts_on_hold_and_resumes_from_the_page(ward: Ward) -> None:
    maria, episode_id = await _maria(ward)
    assert "Put on hold" in await _page(ward, "Ana", episode_id)
    assert await _post(ward, "Ana", episode_id, "hold") == (303, "")
    assert await _status(ward, episode_id) is EpisodeStatus.ON_HOLD
    await ward.journey.settle()
    assert "112" in ward.journey.texts(maria)[-1]  # told, with the emergency number
    page = await _page(ward, "Ana", episode_id)
    assert "On hold (by the team)" in page and ">Resume</button>" in page
    assert "Put on hold" not in page
    status, _ = await _post(ward, "Ines", episode_id, "resume")
    assert status == 303
    assert await _status(ward, episode_id) is EpisodeStatus.ACTIVE
    (paused,) = await _audited(ward, "patient.pause")
    (resumed,) = await _audited(ward, "patient.resume")
    for entry in (paused, resumed):
        assert (entry.actor_kind, entry.origin, entry.patient_ref) == ("staff", "console", "P-001")
        assert entry.actor_ref.startswith("staff:")


async def test_a_refusal_is_said_on_the_page_and_changes_nothing(ward: Ward) -> None:
    _, episode_id = await _maria(ward)
    status, page = await _post(ward, "Ana", episode_id, "resume")  # not on hold
    assert status == 409 and "is not on hold" in page
    assert await _status(ward, episode_id) is EpisodeStatus.ACTIVE
    assert await _audited(ward, "patient.resume") == []
    await _post(ward, "Ana", episode_id, "hold")
    status, page = await _post(ward, "Ana", episode_id, "hold")
    assert status == 409 and "on hold already" in page
    assert len(await _audited(ward, "patient.pause")) == 1


async def test_withdraw_needs_the_box_ticked_then_ends_the_follow_up(ward: Ward) -> None:
    maria, episode_id = await _maria(ward)
    status, page = await _post(ward, "Ana", episode_id, "withdraw")
    assert status == 422 and "tick the box" in page
    assert await _status(ward, episode_id) is EpisodeStatus.ACTIVE
    assert await _audited(ward, "patient.withdraw") == []
    status, _ = await _post(ward, "Ana", episode_id, "withdraw", confirm="yes")
    assert status == 303
    assert await _status(ward, episode_id) is EpisodeStatus.WITHDRAWN
    await ward.journey.settle()
    assert "112" in ward.journey.texts(maria)[-1]  # told, with the emergency number
    (entry,) = await _audited(ward, "patient.withdraw")
    assert (entry.actor_kind, entry.origin, entry.patient_ref) == ("staff", "console", "P-001")
    assert entry.detail["from"] == "active"
    page = await _page(ward, "Ana", episode_id)
    assert "Ended: withdrawn" in page and ">Withdraw</button>" not in page


async def test_a_new_link_is_shown_with_the_sheet_and_the_old_one_stops(ward: Ward) -> None:
    journey = ward.journey
    enrolment = await journey.enrol("P-001")
    status, page = await _post(ward, "Ana", enrolment.episode_id, "link")
    assert status == 200
    found = re.search(r"https://t\.me/\w+\?start=([\w-]+)", page)
    assert found is not None and found.group(1) != enrolment.token
    assert "the earlier link no longer works" in page and 'id="print-sheet"' in page
    assert "MIS lumbar discectomy" in page  # the printable sheet, below the notice
    (entry,) = await _audited(ward, "patient.link")
    assert (entry.actor_kind, entry.origin, entry.patient_ref) == ("staff", "console", "P-001")
    assert entry.detail == {"revoked": 1}
    journey.sandbox.open_deep_link(journey.sandbox.user("Maria"), enrolment.token)
    await journey.settle()
    async with journey.runtime.sessions() as session:
        patient = await session.scalar(select(Patient).where(Patient.ref == "P-001"))
        assert patient is not None and patient.telegram_user_id is None  # the old link: no
    journey.sandbox.open_deep_link(journey.sandbox.user("Marta"), found.group(1))
    await journey.settle()
    async with journey.runtime.sessions() as session:
        patient = await session.scalar(select(Patient).where(Patient.ref == "P-001"))
        assert patient is not None and patient.telegram_user_id is not None  # the new: yes


async def test_only_the_teams_nurses_and_admins_act_and_csrf_is_checked(ward: Ward) -> None:
    journey = ward.journey
    _, episode_id = await _maria(ward)
    await journey.staff_member("Sara", StaffRole.SURGEON)
    sara = await ward.signed_in("Sara")
    csrf = csrf_of((await sara.get(f"/patients/{episode_id}")).text)
    assert "Put on hold" not in await _page(ward, "Sara", episode_id)
    olga = await ward.signed_in("Olga")
    olga_csrf = csrf_of((await olga.get("/")).text)
    ana = await ward.signed_in("Ana")
    for action in ("hold", "resume", "withdraw", "link"):
        path = f"/patients/{episode_id}/{action}"
        form = {"confirm": "yes"}
        assert (await sara.post(path, data={"csrf": csrf, **form})).status_code == 403
        assert (await olga.post(path, data={"csrf": olga_csrf, **form})).status_code == 404
        assert (await ana.post(path, data=form)).status_code == 403  # no CSRF token
    assert await _status(ward, episode_id) is EpisodeStatus.ACTIVE
    for action in ("patient.pause", "patient.resume", "patient.withdraw", "patient.link"):
        assert await _audited(ward, action) == []


async def test_a_patient_who_paused_themselves_is_resumed_by_them_not_the_team(
    ward: Ward,
) -> None:
    maria, episode_id = await _maria(ward)
    await ward.journey.type(maria, "/stop")
    await ward.journey.press(maria, Pause(confirmed=True))
    assert await _status(ward, episode_id) is EpisodeStatus.PAUSED
    page = await _page(ward, "Ana", episode_id)
    assert "Put on hold" in page and ">Resume</button>" not in page
    status, answer = await _post(ward, "Ana", episode_id, "resume")
    assert status == 409 and "resume it with /start" in answer
    assert await _status(ward, episode_id) is EpisodeStatus.PAUSED
    status, _ = await _post(ward, "Ana", episode_id, "hold")  # readmitted meanwhile
    assert status == 303
    assert await _status(ward, episode_id) is EpisodeStatus.ON_HOLD
