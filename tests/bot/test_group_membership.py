"""A removed staff member: out of the escalation chain at once, and, while they are still in
the team's group (the hospital's to manage), reported to the team's admins every day."""

from __future__ import annotations

from datetime import timedelta

from bot.staff.registry import remove_staff
from db.models import StaffRole
from tests.bot.test_escalation import _report, _told
from tests.fixtures.journey import Journey


async def _remove(journey: Journey, name: str) -> None:
    async with journey.runtime.sessions.begin() as session:
        await remove_staff(session, name, now=journey.clock.now(), actor="cli:test")


def _reports(journey: Journey, admin: object) -> list[str]:
    return [t for t in journey.texts(admin) if "still a member of the group" in t]  # type: ignore[arg-type]


async def test_a_removed_member_still_in_the_group_is_reported_to_the_admins_daily(
    journey: Journey,
) -> None:
    iris = await journey.staff_member("Iris", StaffRole.ADMIN)
    bruno = await journey.staff_member("Bruno", StaffRole.NURSE)
    await _remove(journey, "Bruno")

    assert await journey.runtime.chores.check_group_members() == 1
    await journey.runtime.chores.check_group_members()  # twice the same day: one report
    await journey.settle()
    reports = _reports(journey, iris)
    assert len(reports) == 1
    assert "Bruno" in reports[0] and "'Spine'" in reports[0]
    assert _reports(journey, bruno) == []

    await journey.at(journey.clock.now() + timedelta(days=1))
    await journey.runtime.chores.check_group_members()
    await journey.settle()
    assert len(_reports(journey, iris)) == 2

    journey.ward.remove_member(bruno)
    await journey.at(journey.clock.now() + timedelta(days=1))
    assert await journey.runtime.chores.check_group_members() == 0
    await journey.settle()
    assert len(_reports(journey, iris)) == 2


async def test_without_a_linked_admin_the_team_s_group_is_told(journey: Journey) -> None:
    await journey.staff_member("Bruno", StaffRole.NURSE)
    await _remove(journey, "Bruno")
    await journey.runtime.chores.check_group_members()
    await journey.settle()
    assert [t for t in journey.texts(journey.ward) if "still a member of the group" in t]


async def test_active_members_and_those_who_left_the_group_are_not_reported(
    journey: Journey,
) -> None:
    iris = await journey.staff_member("Iris", StaffRole.ADMIN)
    await journey.staff_member("Ana", StaffRole.NURSE)
    carla = await journey.staff_member("Carla", StaffRole.NURSE)
    journey.ward.remove_member(carla)
    await _remove(journey, "Carla")
    assert await journey.runtime.chores.check_group_members() == 0
    await journey.settle()
    assert _reports(journey, iris) == []


async def test_a_removed_member_leaves_the_escalation_chain_at_once(journey: Journey) -> None:
    ana = await journey.staff_member("Ana", StaffRole.NURSE, on_call=True)
    vidal = await journey.staff_member("Vidal", StaffRole.SURGEON)
    await _report(journey, ("wound_bleeding", "soaked"))
    opened = journey.clock.now()
    await _remove(journey, "Ana")
    await _remove(journey, "Vidal")
    await journey.at(opened + timedelta(hours=1))
    assert _told(journey, ana) == [] and _told(journey, vidal) == []
