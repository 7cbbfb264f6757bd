"""A command the bot does not know gets a short help: the commands that person may use, in
their language; a stranger learns nothing more than from any other command."""

from __future__ import annotations

from bot.i18n import t
from tests.fixtures.journey import Journey


async def test_a_patient_typing_an_unknown_command_is_shown_theirs(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/foo")
    assert journey.texts(maria)[-1] == t("en", "commands_patient").strip()
    assert "/checkin" in journey.texts(maria)[-1]


async def test_a_spanish_speaking_patient_is_shown_them_in_spanish(journey: Journey) -> None:
    lucia, _ = await journey.enrolled_patient("Lucía", language="es")
    await journey.type(lucia, "/ayuda")
    assert journey.texts(lucia)[-1] == t("es", "commands_patient").strip()


async def test_staff_typing_an_unknown_command_are_shown_the_care_team_s(
    journey: Journey,
) -> None:
    nurse = await journey.staff_member("Rosa")
    await journey.type(nurse, "/alert")
    assert journey.texts(nurse)[-1] == t("en", "commands_staff").strip()
    await journey.type(nurse, "/alerts")  # the real one still works
    assert journey.texts(nurse)[-1] != t("en", "commands_staff").strip()


async def test_a_stranger_s_unknown_command_reveals_nothing(journey: Journey) -> None:
    stranger = journey.sandbox.user("Eve")
    await journey.type(stranger, "/foo")
    assert journey.texts(stranger)[-1] == t("en", "start_without_link")


async def test_known_commands_are_not_taken_for_unknown_ones(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/status")
    assert "/checkin" not in journey.texts(maria)[-1]
