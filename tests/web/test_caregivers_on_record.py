"""Caregivers on the patient's page: who acts for the patient, by id, and the buttons "Add
a caregiver" and "Remove caregivers", which call the same use cases as /caregiver."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from bot.i18n import t
from db.models import AuditEntry, Caregiver
from tests.fixtures.journey import SURGERY, local
from tests.web.conftest import Ward, csrf_of

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


async def test_a_nurse_adds_a_caregiver_who_answers_and_the_page_says_who(ward: Ward) -> None:
    journey = ward.journey
    _, enrolment = await journey.enrolled_patient("Maria")
    episode_id = enrolment.episode_id
    nurse = await ward.signed_in("Ana")
    page = (await nurse.get(f"/patients/{episode_id}")).text
    assert "No caregiver." in page
    added = await nurse.post(f"/patients/{episode_id}/caregivers", data={"csrf": csrf_of(page)})
    assert added.status_code == 200
    token = re.search(r"start=([A-Za-z0-9_-]+)", added.text)
    assert token is not None

    jose = journey.sandbox.user("Jose")
    journey.sandbox.open_deep_link(jose, token.group(1))
    await journey.settle()
    assert journey.texts(jose)[-1] == t("en", "caregiver_welcome")
    await journey.at(POD1_9AM)
    await journey.type(jose, "/checkin")
    await journey.answer(jose, "none")

    nurse = await ward.signed_in("Ana")  # the first session lapsed overnight
    shown = html.unescape((await nurse.get(f"/patients/{episode_id}")).text)
    assert "(by the caregiver)" in shown
    async with journey.runtime.sessions() as session:
        caregiver = await session.scalar(select(Caregiver))
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "caregiver.add"))
    assert caregiver is not None and f"Caregiver #{caregiver.id}" in shown
    assert entry is not None and (entry.origin, entry.actor_kind) == ("console", "staff")
    assert entry.detail["caregiver"] == caregiver.id

    removed = await nurse.post(
        f"/patients/{episode_id}/caregivers/remove", data={"csrf": csrf_of(shown)}
    )
    assert removed.status_code == 303
    await journey.settle()
    assert journey.texts(jose)[-1] == t("en", "caregiver_ended")
    assert "No caregiver." in (await nurse.get(f"/patients/{episode_id}")).text


async def test_another_teams_nurse_cannot_add_a_caregiver(ward: Ward) -> None:
    _, enrolment = await ward.journey.enrolled_patient("Maria")
    olga = await ward.signed_in("Olga")  # of the Cervical team
    csrf = csrf_of((await olga.get("/patients")).text)
    answer = await olga.post(f"/patients/{enrolment.episode_id}/caregivers", data={"csrf": csrf})
    assert answer.status_code == 404
    async with ward.journey.runtime.sessions() as session:
        assert await session.scalar(select(Caregiver)) is None
