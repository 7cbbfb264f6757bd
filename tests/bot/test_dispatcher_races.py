"""The dispatcher and the patient acting on one check-in at the same moment: whatever
the patient did between the dispatcher's claim and its step is not undone by the step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select

from bot.checkins.dispatcher import Dispatcher
from bot.context import Site
from bot.i18n import t
from db.models import Alert, CheckIn, CheckInStatus
from tests.fixtures.journey import SURGERY, Journey, buttons, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


class Meanwhile(Dispatcher):
    """A second process's dispatcher: once it has claimed something, ``then`` happens
    before its steps run (the patient was quicker)."""

    def __init__(self, journey: Journey, then: Callable[[], Awaitable[None]]) -> None:
        runtime = journey.runtime
        super().__init__(
            runtime.sessions, runtime.catalogue, Site("112"), journey.clock, "another-process"
        )
        self._then: Callable[[], Awaitable[None]] | None = then

    async def _claim(self, claimable: ColumnElement[bool], now: datetime) -> list[int]:
        claimed = await super()._claim(claimable, now)
        if claimed and self._then is not None:
            then, self._then = self._then, None
            await then()
        return claimed


async def _checkin(journey: Journey) -> CheckIn:
    async with journey.runtime.sessions() as session:
        row = await session.scalar(select(CheckIn).where(CheckIn.pod == 1))
    assert row is not None
    return row


async def test_a_checkin_finished_as_its_window_closes_stays_completed(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    while journey.question_id(maria) is not None:
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    await journey.type(maria, "2")  # days since the last bowel movement
    journey.clock.set(POD1_9AM + timedelta(hours=12))  # the window closes; one answer to go
    last = buttons(journey.last(maria))[0][1]  # opioid use

    await Meanwhile(journey, lambda: journey.press(maria, last)).tick()

    row = await _checkin(journey)
    assert (row.status, row.completed_at) == (CheckInStatus.COMPLETED, journey.clock.now())
    assert journey.texts(maria)[-1].startswith(t("en", "checkin_late_answer"))
    async with journey.runtime.sessions() as session:
        causes = list(await session.scalars(select(Alert.cause)))
    assert "non_response" not in causes


async def test_a_checkin_the_patient_started_as_it_fell_due_goes_out_once(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    journey.clock.set(POD1_9AM)

    await Meanwhile(journey, lambda: journey.type(maria, "/checkin")).tick()
    await journey.settle()

    # The patient's /checkin began today's scheduled check-in; the dispatcher left it.
    intros = {t("en", key, pod=1) for key in ("checkin_intro", "checkin_intro_extra")}
    sent = [text for text in journey.texts(maria) if text in intros]
    assert sent == [t("en", "checkin_intro", pod=1)]
    assert (await _checkin(journey)).status is CheckInStatus.SENT
