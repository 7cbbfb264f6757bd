"""Nurses acknowledge alert cards in their team's chat; nobody else can."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.i18n import t
from bot.sandbox import Person
from bot.telegram.callbacks import Acknowledge, ResolveGraded, encode
from db.models import Alert, AlertStatus, AuditEntry, Team
from tests.fixtures.journey import SURGERY, Journey, buttons, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


async def _red_flag(journey: Journey) -> Person:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "normal")
    await journey.answer(maria, "soaked")
    return maria


async def _eras(journey: Journey, *args: str) -> str:
    """The command line on the journey's database, as an admin would run it."""
    import asyncio
    import os

    from click.testing import CliRunner

    from bot.cli import cli

    env = {**os.environ, "ERAS_DATABASE_URL": journey.runtime.settings.database_url}
    result = await asyncio.to_thread(CliRunner(env=env).invoke, cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


async def _alert(journey: Journey) -> Alert:
    async with journey.runtime.sessions() as session:
        alert = await session.scalar(select(Alert))
    assert alert is not None
    return alert


async def _refusals(journey: Journey) -> int:
    async with journey.runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "alert.acknowledge", AuditEntry.outcome == "refused"
            )
        )
        return len(list(rows))


async def test_a_red_flag_card_reaches_the_team_chat_with_its_reason(journey: Journey) -> None:
    await _red_flag(journey)
    card = journey.last(journey.ward)
    assert "RED — URGENT" in card["text"]
    assert "wound_bleeding = soaked" in card["text"]
    assert [label for label, _ in buttons(card)] == [
        "Acknowledge",
        "Resolve",
        "Add note",
        "Open console",
    ]


async def test_a_nurse_of_the_team_acknowledges_and_the_patient_is_told(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    maria = await _red_flag(journey)
    card = journey.last(journey.ward)
    press = journey.sandbox.press_button(ana, card, buttons(card)[0][1], chat=journey.ward)
    await journey.settle()
    assert (await _alert(journey)).status is AlertStatus.ACKNOWLEDGED
    edited = journey.last(journey.ward)
    assert edited["message_id"] == card["message_id"]
    assert "✅ Acknowledged by Ana at" in edited["text"]
    assert [label for label, _ in buttons(edited)] == ["Resolve", "Add note", "Open console"]
    assert journey.texts(maria)[-1] == t("en", "nurse_has_seen")
    assert journey.sandbox.callback_answer(press)["text"].startswith("Acknowledged")  # type: ignore[index]


async def test_the_second_nurse_is_told_who_was_first(journey: Journey) -> None:
    ana, ben = await journey.staff_member("Ana"), await journey.staff_member("Ben")
    await _red_flag(journey)
    card = journey.last(journey.ward)
    data = buttons(card)[0][1]
    journey.sandbox.press_button(ana, card, data, chat=journey.ward)
    second = journey.sandbox.press_button(ben, card, data, chat=journey.ward)
    await journey.settle()
    assert journey.sandbox.callback_answer(second)["text"] == "Already acknowledged by Ana."  # type: ignore[index]


@pytest.mark.parametrize("who", ["patient", "other team's nurse", "unknown user", "forged id"])
async def test_anyone_else_is_refused_and_nothing_changes(journey: Journey, who: str) -> None:
    ana = await journey.staff_member("Ana")
    maria = await _red_flag(journey)
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(name="Cardio", chat_id=-999, timezone="UTC", created_at=journey.clock.now())
        )
    presser = {
        "patient": maria,
        "other team's nurse": await journey.staff_member("Carla", team="Cardio"),
        "unknown user": journey.sandbox.user("Eve"),
        "forged id": ana,
    }[who]
    journey.ward.add_member(presser)
    card = journey.last(journey.ward)
    if who == "forged id":  # a modified client sends data no button carries
        user = {"id": ana.id, "is_bot": False, "first_name": "Ana"}
        data = encode(Acknowledge(999999))
        query = {"id": "forged-1", "from": user, "chat_instance": "1", "data": data}
        journey.sandbox.send_raw_update({"callback_query": {**query, "message": card}})
    else:
        journey.sandbox.press_button(presser, card, buttons(card)[0][1], chat=journey.ward)
    await journey.settle()
    assert (await _alert(journey)).status is AlertStatus.OPEN
    assert journey.last(journey.ward)["text"] == card["text"]
    answered = journey.sandbox.ledger.calls("answerCallbackQuery")[-1]
    assert answered.params["text"].startswith("Only staff")
    assert await _refusals(journey) == 1


async def test_resolving_records_the_outcome_and_its_grade(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)

    async def press(label: str) -> None:
        card = journey.last(journey.ward)
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(ana, card, data, chat=journey.ward)
        await journey.settle()

    await press("Resolve")
    assert "Emergency department" in [label for label, _ in buttons(journey.last(journey.ward))]
    await press("Emergency department")
    assert "IIIb" in [label for label, _ in buttons(journey.last(journey.ward))]
    await press("IIIb")
    alert = await _alert(journey)
    assert (alert.status, alert.outcome, alert.clavien_dindo) == (
        AlertStatus.RESOLVED,
        "emergency_department",
        "IIIb",
    )
    card = journey.last(journey.ward)
    assert "✔ Resolved by Ana at" in card["text"]
    assert "Emergency department (Clavien–Dindo IIIb)" in card["text"]
    assert [label for label, _ in buttons(card)] == ["Add note", "Open console"]  # a note, still
    shown = await _eras(journey, "alert", "show", str(alert.id))
    assert "outcome: emergency_department, Clavien–Dindo IIIb" in shown
    assert "resolved" in shown.splitlines()[-1]


async def test_a_false_alarm_is_resolved_without_a_grade(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    for label in ("Resolve", "False alarm"):
        card = journey.last(journey.ward)
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(ana, card, data, chat=journey.ward)
        await journey.settle()
    alert = await _alert(journey)
    assert (alert.status, alert.outcome, alert.clavien_dindo) == (
        AlertStatus.RESOLVED,
        "false_alarm",
        None,
    )


async def test_a_forged_outcome_is_refused(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    card = journey.last(journey.ward)
    user = {"id": ana.id, "is_bot": False, "first_name": "Ana"}
    alert_id = (await _alert(journey)).id
    forged = (
        ResolveGraded(alert_id, "discharged_home", "II"),
        ResolveGraded(alert_id, "clinic_visit", "VI"),
    )
    for data in map(encode, forged):
        query = {"id": f"forged-{data}", "from": user, "chat_instance": "1", "data": data}
        journey.sandbox.send_raw_update({"callback_query": {**query, "message": card}})
        await journey.settle()
    assert (await _alert(journey)).status is AlertStatus.OPEN


async def test_alerts_lists_my_teams_open_alerts_against_their_target(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    journey.clock.advance(timedelta(minutes=20))
    await journey.type(ana, "/alerts")
    listing = journey.texts(ana)[-1]
    assert listing.startswith("Open alerts, oldest first:")
    assert "red_urgent · P-001 · open · 20 min (target 15 min) — past its target" in listing


async def test_alerts_is_refused_to_anyone_but_staff(journey: Journey) -> None:
    maria = await _red_flag(journey)
    await journey.type(maria, "/alerts")
    assert journey.texts(maria)[-1] == "This command is for care-team staff."
    async with journey.runtime.sessions() as session:
        refused = await session.scalar(
            select(AuditEntry).where(
                AuditEntry.action == "alerts.view", AuditEntry.outcome == "refused"
            )
        )
    assert refused is not None


async def test_a_blocked_bot_makes_the_patient_unreachable_and_the_team_is_asked_to_phone(
    journey: Journey,
) -> None:
    from db.models import Episode, EpisodeStatus

    maria, _ = await journey.enrolled_patient()
    journey.sandbox.block_bot(maria)
    await journey.at(POD1_9AM)
    async with journey.runtime.sessions() as session:
        episode = await session.scalar(select(Episode))
    assert episode is not None and episode.status is EpisodeStatus.UNREACHABLE
    assert "please phone them" in journey.texts(journey.ward)[-1]
    tried = len(journey.sandbox.ledger.calls("sendMessage", chat_id=maria.chat_id))
    await journey.at(POD1_9AM + timedelta(days=1))
    await journey.at(POD1_9AM + timedelta(days=2))
    assert len(journey.sandbox.ledger.calls("sendMessage", chat_id=maria.chat_id)) == tried


async def test_a_removed_nurse_can_no_longer_acknowledge(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    await _red_flag(journey)
    assert "Ana (id 1) removed" in await _eras(journey, "staff", "remove", "Ana")
    card = journey.last(journey.ward)
    press = journey.sandbox.press_button(ana, card, buttons(card)[0][1], chat=journey.ward)
    await journey.settle()
    assert (await _alert(journey)).status is AlertStatus.OPEN
    assert journey.sandbox.callback_answer(press)["text"].startswith("Only staff")  # type: ignore[index]
    assert await _refusals(journey) == 1
