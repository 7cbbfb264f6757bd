"""Unacknowledged alerts escalate along the team's chain, from the snapshot, until someone
acknowledges."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.sandbox import Person
from db.models import EscalationStep, StaffRole, Team
from tests.fixtures.journey import SURGERY, Journey, buttons, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


def _told(journey: Journey, person: Person) -> list[str]:
    return [text for text in journey.texts(person) if "has not been acknowledged" in text]


async def _report(journey: Journey, red_flag: tuple[str, str]) -> Person:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    if red_flag[0] == "wound_bleeding":
        await journey.answer(maria, "normal")
    await journey.answer(maria, red_flag[1])
    return maria


async def test_red_urgent_goes_to_the_on_call_nurse_then_the_surgeon(journey: Journey) -> None:
    ana = await journey.staff_member("Ana", StaffRole.NURSE, on_call=True)
    vidal = await journey.staff_member("Vidal", StaffRole.SURGEON, on_call=False)
    await _report(journey, ("wound_bleeding", "soaked"))
    opened = journey.clock.now()
    await journey.at(opened + timedelta(minutes=14))
    assert _told(journey, ana) == [] and _told(journey, vidal) == []
    await journey.at(opened + timedelta(minutes=15))
    assert len(_told(journey, ana)) == 1 and _told(journey, vidal) == []
    await journey.at(opened + timedelta(minutes=30))
    assert len(_told(journey, vidal)) == 1
    await journey.at(opened + timedelta(hours=2))
    assert len(_told(journey, ana)) == 1 and len(_told(journey, vidal)) == 1  # the chain ended


async def test_acknowledging_stops_the_escalation(journey: Journey) -> None:
    ana = await journey.staff_member("Ana", StaffRole.NURSE, on_call=True)
    vidal = await journey.staff_member("Vidal", StaffRole.SURGEON, on_call=False)
    await _report(journey, ("wound_bleeding", "soaked"))
    opened = journey.clock.now()
    await journey.at(opened + timedelta(minutes=20))
    card = journey.card()
    journey.sandbox.press_button(ana, card, buttons(card)[0][1], chat=journey.ward)
    await journey.settle()
    await journey.at(opened + timedelta(hours=1))
    assert _told(journey, vidal) == []


async def test_red_emergency_repeats_the_surgeon_every_five_minutes(journey: Journey) -> None:
    ana = await journey.staff_member("Ana", StaffRole.NURSE, on_call=True)
    vidal = await journey.staff_member("Vidal", StaffRole.SURGEON, on_call=False)
    await _report(journey, ("bladder", "leaking"))
    opened = journey.clock.now()
    assert len(_told(journey, ana)) == 1  # the on-call nurse at once
    for minutes, times in ((4, 0), (5, 1), (10, 2), (15, 3)):
        await journey.at(opened + timedelta(minutes=minutes))
        assert len(_told(journey, vidal)) == times, minutes


async def test_a_chain_edited_later_does_not_change_an_open_alert(journey: Journey) -> None:
    ana = await journey.staff_member("Ana", StaffRole.NURSE, on_call=True)
    await _report(journey, ("wound_bleeding", "soaked"))
    opened = journey.clock.now()
    async with journey.runtime.sessions.begin() as session:
        team = await session.get(Team, 1)
        assert team is not None
        session.add(
            EscalationStep(
                team_id=team.id, tier="red_urgent", position=0, after_seconds=60, notify="on_call"
            )
        )
    await journey.at(opened + timedelta(minutes=2))
    assert _told(journey, ana) == []  # the alert keeps the chain it opened with
    await journey.at(opened + timedelta(minutes=15))
    assert len(_told(journey, ana)) == 1


async def test_amber_in_the_evening_reaches_the_on_call_nurse_after_4_daytime_hours(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana", StaffRole.NURSE, on_call=True)
    maria, _ = await journey.enrolled_patient()
    evening = local(SURGERY + timedelta(days=1), 20, "Europe/Madrid")
    await journey.at(evening)
    await journey.type(maria, "/help")  # a concern, reported in the evening
    for answer in ("none", "difficult", "dry", "2", "1"):  # urine is difficult: amber
        await journey.answer(maria, answer)
    await journey.type(maria, "skip")  # temperature
    for answer in ("none", "none", "awake", "none"):  # the rest of the screen
        await journey.answer(maria, answer)
    assert "AMBER" in journey.texts(journey.ward)[-1]
    await journey.at(evening + timedelta(hours=4))  # midnight: 4 h by the clock, 2 h of day
    next_morning = local(SURGERY + timedelta(days=2), 10, "Europe/Madrid")
    await journey.at(next_morning - timedelta(minutes=1))
    assert _told(journey, ana) == []
    await journey.at(next_morning)  # 2 h that evening and 2 h from 08:00
    assert len(_told(journey, ana)) == 1


async def test_a_risen_tier_runs_its_chain_from_the_moment_it_rose(journey: Journey) -> None:
    from bot.alerts.raising import follow_up_alert
    from db.models import Episode

    vidal = await journey.staff_member("Vidal", StaffRole.SURGEON, on_call=False)
    maria, _ = await journey.enrolled_patient()
    async with journey.runtime.sessions.begin() as session:  # an amber alert the day before
        episode = await session.scalar(select(Episode))
        assert episode is not None
        await follow_up_alert(
            session, episode_id=episode.id, now=journey.clock.now(), cause="declined"
        )
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "normal")
    await journey.answer(maria, "soaked")  # red_urgent: the same alert, a new chain
    risen = journey.clock.now()
    for minutes in (15, 16, 29):  # the on-call step at 15 min, then the surgeon's turn
        await journey.at(risen + timedelta(minutes=minutes))
        assert _told(journey, vidal) == [], minutes  # not counted from the day-old opening
    await journey.at(risen + timedelta(minutes=30))
    assert len(_told(journey, vidal)) == 1
