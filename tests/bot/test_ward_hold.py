"""The team puts a readmitted patient's follow-up on hold and resumes it, or ends it: the
patient hears of it once, in their language, and nothing else reaches them meanwhile."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.i18n import t
from bot.patients.course.hold import put_on_hold, resume
from bot.patients.course.withdrawal import withdraw
from bot.patients.enrolment.enrol import EnrolmentRefused
from bot.telegram.callbacks import Pause
from db.models import AuditEntry, CheckIn, CheckInStatus
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


async def _hold(journey: Journey, ref: str = "P-001") -> None:
    async with journey.runtime.sessions.begin() as session:
        await put_on_hold(
            session,
            ref=ref,
            now=journey.clock.now(),
            actor="cli:test",
            emergency_number=journey.runtime.services.site.emergency_number,
        )
    await journey.settle()


async def _resume(journey: Journey, ref: str = "P-001") -> None:
    async with journey.runtime.sessions.begin() as session:
        await resume(session, ref=ref, now=journey.clock.now(), actor="cli:test")
    await journey.settle()


async def _statuses(journey: Journey) -> list[CheckInStatus]:
    async with journey.runtime.sessions() as session:
        return list(await session.scalars(select(CheckIn.status).order_by(CheckIn.due_at)))


async def _actions(journey: Journey) -> list[str]:
    async with journey.runtime.sessions() as session:
        actions = await session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.action.startswith("patient."))
            .order_by(AuditEntry.id)
        )
        return list(actions)


async def test_on_hold_nothing_is_sent_and_no_missed_alert_until_the_team_resumes(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    emergency = journey.runtime.services.site.emergency_number
    await _hold(journey)
    assert journey.texts(maria)[-1] == t("en", "on_hold", emergency_number=emergency)
    ward_before = len(journey.texts(journey.ward))
    patient_before = len(journey.texts(maria))

    await journey.at(POD1_9AM)  # due
    await journey.at(POD1_9AM + timedelta(hours=4))  # reminder time
    await journey.at(POD1_9AM + timedelta(days=1, hours=1))  # POD 1's window has closed
    assert len(journey.texts(maria)) == patient_before  # no check-in, no reminder
    to_the_team = journey.texts(journey.ward)[ward_before:]
    assert to_the_team and all(text.startswith("Daily digest") for text in to_the_team)
    assert "On hold (team): 1 — P-001" in to_the_team[-1]  # no missed-check-in card, though
    assert CheckInStatus.MISSED not in await _statuses(journey)

    await journey.type(maria, "/start")  # a readmitted patient can't restart it
    assert journey.texts(maria)[-1] == t("en", "on_hold", emergency_number=emergency)
    await journey.type(maria, "/checkin")
    assert journey.texts(maria)[-1] == t("en", "on_hold", emergency_number=emergency)

    told = len(journey.texts(maria))
    await _resume(journey)
    after = journey.texts(maria)[told:]
    assert after[0].startswith("Your care team has restarted your check-ins")
    # Resumed inside the POD 2 window: that check-in comes now, POD 1's is not sent late.
    # An hour after it fell due, but it waited for the hold: it is not called late.
    assert after[1] == t("en", "checkin_intro", pod=2)
    assert (await _actions(journey))[-2:] == ["patient.pause", "patient.resume"]


async def test_a_check_in_that_fell_due_while_the_patient_paused_is_not_called_late(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/stop")
    await journey.press(maria, Pause(confirmed=True))
    await journey.at(POD1_9AM + timedelta(hours=2))  # due two hours ago, window still open
    told = len(journey.texts(maria))

    await journey.type(maria, "/start")

    after = journey.texts(maria)[told:]
    assert t("en", "checkin_intro", pod=1) in after
    assert t("en", "checkin_intro_late", pod=1) not in after


async def test_the_team_does_not_resume_what_the_patient_paused(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    with pytest.raises(EnrolmentRefused, match="not on hold"):
        await _resume(journey)  # active
    await journey.type(maria, "/stop")
    await journey.press(maria, Pause(confirmed=True))
    with pytest.raises(EnrolmentRefused, match="they resume it with /start"):
        await _resume(journey)


async def test_pause_and_resume_of_an_unknown_reference_are_refused(journey: Journey) -> None:
    with pytest.raises(EnrolmentRefused, match="no patient with reference 'P-404'"):
        await _hold(journey, "P-404")
    with pytest.raises(EnrolmentRefused, match="no patient with reference 'P-404'"):
        await _resume(journey, "P-404")


async def test_a_withdrawn_patient_is_told_in_their_language_and_hears_nothing_more(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient(language="es")
    emergency = journey.runtime.services.site.emergency_number
    async with journey.runtime.sessions.begin() as session:
        done = await withdraw(
            session,
            ref="P-001",
            now=journey.clock.now(),
            actor="cli:test",
            emergency_number=emergency,
        )
    await journey.settle()
    assert done.cancelled > 0
    assert journey.texts(maria)[-1] == t("es", "withdrawn", emergency_number=emergency)
    told = len(journey.texts(maria))
    await journey.at(POD1_9AM + timedelta(days=2))
    assert len(journey.texts(maria)) == told
    assert set(await _statuses(journey)) == {CheckInStatus.CANCELLED}
    assert (await _actions(journey))[-1] == "patient.withdraw"
    with pytest.raises(EnrolmentRefused, match="no follow-up in progress"):
        async with journey.runtime.sessions.begin() as session:
            await withdraw(
                session, ref="P-001", now=journey.clock.now(), actor="t", emergency_number="1"
            )
