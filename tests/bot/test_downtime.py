"""After the bot was down, every overdue check-in is sent late (and says so) or closed as
missed with the team told: nothing is skipped silently, and no patient is blamed for a
check-in the bot never sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.i18n import t
from db.models import Alert, CheckIn, CheckInStatus
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


@pytest.mark.parametrize("down_for", [timedelta(hours=2), timedelta(hours=25)])
async def test_every_overdue_checkin_is_sent_late_or_missed_and_the_team_sees_it(
    journey: Journey, down_for: timedelta
) -> None:
    maria, _ = await journey.enrolled_patient()
    went_down = POD1_9AM - timedelta(minutes=1)
    await journey.at(went_down)
    await journey.at(went_down + down_for)  # the first tick after the bot came back

    async with journey.runtime.sessions() as session:
        overdue = list(
            await session.scalars(
                select(CheckIn)
                .where(CheckIn.due_at <= journey.clock.now())
                .order_by(CheckIn.due_at)
            )
        )
        alerts = list(await session.scalars(select(Alert)))
    assert overdue, "the downtime covered at least one check-in"
    late_intros = [m for m in journey.texts(maria) if m.startswith("Sorry, this check-in is late")]
    ward = "\n".join(journey.texts(journey.ward))
    for row in overdue:
        if row.status is CheckInStatus.MISSED:
            assert row.sent_at is None
            assert f"P-001 · POD {row.pod} · due" in ward
        else:
            assert row.status is CheckInStatus.SENT and row.sent_late
            assert t("en", "checkin_intro_late", pod=row.pod) in late_intros
    statuses = [row.status for row in overdue]
    if down_for < timedelta(hours=12):
        assert statuses == [CheckInStatus.SENT]
        assert "could not be sent" not in ward
    else:
        assert statuses == [CheckInStatus.MISSED, CheckInStatus.SENT]  # POD 1, then POD 2
        assert "the patients were not asked" in ward
    # a check-in the bot never sent is not the patient's non-response
    assert [a for a in alerts if a.cause == "non_response"] == []
