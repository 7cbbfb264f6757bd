"""The dispatcher's batches: the sender hears of each as it is written, and check-ins put
off (quiet hours) do not hold up the ones behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from bot.checkins.dispatcher import Dispatcher
from bot.context import Site
from bot.i18n import t
from db.models import Patient
from tests.fixtures.journey import SURGERY, Journey, local

MADRID = "Europe/Madrid"
POD1 = SURGERY + timedelta(days=1)
INTRO = t("en", "checkin_intro", pod=1)


def _one_at_a_time(journey: Journey, woken: list[int] | None = None) -> Dispatcher:
    runtime = journey.runtime
    return Dispatcher(
        runtime.sessions,
        runtime.catalogue,
        Site("112"),
        journey.clock,
        "one-at-a-time",
        batch=1,
        on_progress=(lambda: woken.append(1)) if woken is not None else lambda: None,
    )


async def test_the_sender_is_told_as_soon_as_a_batch_is_written(journey: Journey) -> None:
    for n, name in enumerate(("Maria", "Lucia"), start=1):
        await journey.enrolled_patient(name, ref=f"P-00{n}")
    journey.clock.set(local(POD1, 9, MADRID))
    woken: list[int] = []

    report = await _one_at_a_time(journey, woken).tick()

    assert (report.sent, len(woken)) == (1, 1)


async def test_a_check_in_put_off_for_the_night_does_not_hold_up_the_others(
    journey: Journey,
) -> None:
    # Both check-ins fall due at 09:00 in Madrid. Maria has since told the bot she is far
    # away, where it is now 23:00: hers waits for her morning. John's, behind hers in the
    # queue, must not wait with it.
    maria, _ = await journey.enrolled_patient("Maria", ref="P-001")
    john, _ = await journey.enrolled_patient("John", ref="P-002")
    now = local(POD1, 9, MADRID)
    async with journey.runtime.sessions.begin() as session:
        await session.execute(
            update(Patient)
            .where(Patient.ref == "P-001")
            .values(timezone=_zone_where_it_is_11_pm(now))
        )
    before = len(journey.texts(maria))
    journey.clock.set(now)
    dispatcher = _one_at_a_time(journey)

    first = await dispatcher.tick()
    second = await dispatcher.tick()

    assert (first.deferred, first.sent) == (1, 0)
    assert (second.deferred, second.sent) == (0, 1)  # Maria's put off a while, not retried
    await journey.settle()
    assert INTRO in journey.texts(john)
    assert len(journey.texts(maria)) == before


def _zone_where_it_is_11_pm(instant: datetime) -> str:
    hours = (23 - instant.astimezone(UTC).hour) % 24
    offset = hours if hours <= 14 else hours - 24  # Etc/GMT-N is N hours ahead of UTC
    return f"Etc/GMT{-offset:+d}"
