"""A setup that would keep alerts from reaching anyone is said where people look: the team's
daily digest (one line, while its group still hears the bot) and the health report."""

from __future__ import annotations

from datetime import date

from db.models import StaffRole
from tests.fixtures.journey import Journey, local

MADRID = "Europe/Madrid"


def digests(journey: Journey) -> list[str]:
    return [text for text in journey.texts(journey.ward) if text.startswith("Daily digest")]


async def test_the_daily_digest_says_in_one_line_that_the_escalation_tells_nobody(
    journey: Journey,
) -> None:
    await journey.at(local(date(2026, 3, 3), 8, MADRID))
    [digest] = digests(journey)
    [line] = [line for line in digest.splitlines() if "Setup to fix" in line]
    assert line.startswith("⚠ Setup to fix (and 1 more): Team 'Spine'")
    assert "on-call staff" in line and "`eras doctor`" in line

    await journey.staff_member("Ana", on_call=True)
    await journey.staff_member("Dr Ruiz", StaffRole.SURGEON)
    await journey.at(local(date(2026, 3, 4), 8, MADRID))
    assert len(digests(journey)) == 2
    assert "Setup to fix" not in digests(journey)[-1]


async def test_the_health_report_lists_what_the_database_shows_of_the_setup(
    journey: Journey,
) -> None:
    report = await journey.runtime.health()
    assert len(report["misconfigured"]) == 2
    assert all(text.startswith("Team 'Spine': the ") for text in report["misconfigured"])

    await journey.staff_member("Ana", on_call=True)
    await journey.staff_member("Dr Ruiz", StaffRole.SURGEON)
    assert (await journey.runtime.health())["misconfigured"] == []
