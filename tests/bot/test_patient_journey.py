"""What a patient lives through, end to end, through the real client and the sandbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.i18n import t
from bot.telegram.callbacks import ChooseLanguage, Consent, Pause
from db.models import Alert, Answer, CheckIn, CheckInStatus, Patient
from tests.fixtures.journey import SURGERY, Journey, buttons, local

MADRID = "Europe/Madrid"
POD1_9AM = local(SURGERY + timedelta(days=1), 9, MADRID)


async def _count(journey: Journey, what: object) -> int:
    async with journey.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


async def test_link_consent_then_the_first_checkin_at_nine(journey: Journey) -> None:
    enrolment = await journey.enrol()
    maria = journey.sandbox.user("Maria")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    welcome, consent = journey.sandbox.messages_to(maria)[-2:]
    assert "not an emergency service" in welcome["text"]
    assert "(112)" in welcome["text"]
    assert [label for label, _ in buttons(consent)] == ["Yes, I agree", "No, thank you"]
    await journey.press(maria, Consent(enrolment.episode_id, agreed=True))
    assert "09:00" in journey.texts(maria)[-2]
    await journey.at(POD1_9AM - timedelta(minutes=1))
    assert "check-in" not in journey.texts(maria)[-1]
    await journey.at(POD1_9AM)
    assert journey.texts(maria)[-2] == t("en", "checkin_intro", pod=1)
    assert journey.question_id(maria) == "red_flags"


async def test_declining_consent_collects_nothing_more_and_tells_the_team(journey: Journey) -> None:
    enrolment = await journey.enrol()
    maria = journey.sandbox.user("Maria")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    await journey.press(maria, Consent(enrolment.episode_id, agreed=False))
    assert journey.texts(maria)[-1] == t("en", "consent_declined")
    assert "declined" in journey.texts(journey.ward)[-1]
    await journey.at(POD1_9AM)
    assert journey.texts(maria)[-1] == t("en", "consent_declined")  # no check-in came


async def test_a_used_link_a_second_account_and_no_link_reveal_nothing(journey: Journey) -> None:
    enrolment = await journey.enrol()
    maria, stranger = journey.sandbox.user("Maria"), journey.sandbox.user("Eve")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    journey.sandbox.open_deep_link(stranger, enrolment.token)  # the same link, another account
    await journey.settle()
    assert journey.texts(stranger) == [t("en", "start_link_invalid")]
    await journey.type(stranger, "/start")
    assert journey.texts(stranger)[-1] == t("en", "start_without_link")
    journey.sandbox.open_deep_link(stranger, "not-a-real-token-but-long-enough")
    await journey.settle()
    assert journey.texts(stranger)[-1] == t("en", "start_link_invalid")
    assert all("P-001" not in text and "Maria" not in text for text in journey.texts(stranger))
    async with journey.runtime.sessions() as session:
        linked = await session.scalar(select(Patient.telegram_user_id))
    assert linked == maria.id


async def test_an_expired_link_is_refused(journey: Journey) -> None:
    enrolment = await journey.enrol()
    journey.clock.advance(timedelta(days=15))
    maria = journey.sandbox.user("Maria")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    assert journey.texts(maria) == [t("en", "start_link_invalid")]


@pytest.mark.parametrize(
    ("zone", "surgery", "label"),
    [
        ("Europe/Madrid", SURGERY, "no change"),
        ("Asia/Kolkata", SURGERY, "no daylight saving"),
        ("America/New_York", SURGERY.replace(day=6), "clocks go forward on 8 March"),
        ("Europe/Madrid", SURGERY.replace(day=26), "clocks go forward on 29 March"),
    ],
)
async def test_checkins_come_at_nine_local_time_in_every_zone(
    journey: Journey, zone: str, surgery: object, label: str
) -> None:
    from datetime import date

    assert isinstance(surgery, date)
    journey.clock.set(local(surgery, 12, zone))
    maria, _ = await journey.enrolled_patient(zone=zone, surgery=surgery)
    for pod in (1, 2, 3, 4):
        nine = local(surgery + timedelta(days=pod), 9, zone)
        await journey.at(nine - timedelta(minutes=5))
        before = len(journey.texts(maria))
        await journey.at(nine)
        sent = journey.texts(maria)[before:]
        assert t("en", "checkin_intro", pod=pod) in sent, (label, pod)
        # Unanswered, the day's check-in closes at the end of its window, before the next.


async def test_nothing_is_sent_in_quiet_hours(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    before = len(journey.texts(maria))
    # The bot was down from before 09:00 until 23:00: the POD 1 check-in is still inside its
    # window (12 h) but it is night, so it waits; at 08:00 its window has closed.
    await journey.at(local(SURGERY + timedelta(days=1), 23, MADRID))
    assert len(journey.texts(maria)) == before


async def _to_temperature(journey: Journey, maria: object) -> None:
    await journey.at(POD1_9AM)
    while journey.question_id(maria) != "temperature":  # type: ignore[arg-type]
        await journey.press(maria, buttons(journey.last(maria))[0][1])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("38,4", 38.4), ("101.3", 38.5), ("101.3 F", 38.5), ("37", 37.0)],
)
async def test_typed_temperatures_are_read_as_documented(
    journey: Journey, typed: str, stored: float
) -> None:
    maria, _ = await journey.enrolled_patient()
    await _to_temperature(journey, maria)
    await journey.type(maria, typed)
    async with journey.runtime.sessions() as session:
        value = await session.scalar(select(Answer.value).where(Answer.item_id == "temperature"))
    assert value == pytest.approx(stored)


@pytest.mark.parametrize("typed", ["abc", "451", "", "39.5.1"])
async def test_a_temperature_that_cannot_be_read_is_asked_again(
    journey: Journey, typed: str
) -> None:
    maria, _ = await journey.enrolled_patient()
    await _to_temperature(journey, maria)
    if typed:
        await journey.type(maria, typed)
        hint, again = journey.texts(maria)[-2:]
        assert "30.0" in hint and "43.0" in hint
        assert again.startswith("Your temperature today")
    async with journey.runtime.sessions() as session:
        stored = await session.scalar(select(Answer.value).where(Answer.item_id == "temperature"))
    assert stored is None


async def test_new_incontinence_brings_the_emergency_advice_instead_of_the_next_question(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")  # red flags group
    assert journey.question_id(maria) == "bladder"
    await journey.answer(maria, "leaking")
    assert journey.texts(maria)[-1].startswith("Call emergency services now (112)")
    assert journey.question_id(maria) is None  # nothing more is asked
    card = journey.texts(journey.ward)[-1]
    assert "EMERGENCY" in card and "bladder" in card


@pytest.mark.parametrize(
    ("group", "item"),
    [
        ("red_flags", "saddle_numbness"),
        ("red_flags", "leg_weakness"),
        ("red_flags", "chest_breath"),
        ("red_flags", "bowel_control"),
        ("red_flags", "fainted"),
    ],
)
async def test_each_emergency_item_brings_the_advice_at_once(
    journey: Journey, group: str, item: str
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    while journey.question_id(maria) != group:
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    await journey.answer(maria, "some")  # "yes, one or more": each is then asked
    while journey.question_id(maria) != item:
        await journey.answer(maria, "no")
    await journey.answer(maria, "yes")
    assert journey.texts(maria)[-1].startswith("Call emergency services now (112)")
    assert item in journey.texts(journey.ward)[-1]


async def test_reminder_then_missed_then_the_non_response_alert(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.at(POD1_9AM + timedelta(hours=4))
    assert t("en", "reminder") in journey.texts(maria)
    await journey.at(POD1_9AM + timedelta(hours=12))
    async with journey.runtime.sessions() as session:
        status = await session.scalar(select(CheckIn.status).where(CheckIn.pod == 1))
        alert = await session.scalar(select(Alert))
    assert status is CheckInStatus.MISSED
    assert alert is not None and alert.cause == "non_response"
    assert "no_response" in journey.texts(journey.ward)[-1]
    # Late answers are still kept, marked late, and the check-in is scored when complete.
    await journey.answer(maria, "none")
    async with journey.runtime.sessions() as session:
        late = await session.scalar(select(Answer.late).where(Answer.item_id == "saddle_numbness"))
    assert late is True
    while journey.question_id(maria) is not None:
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    await journey.type(maria, "1")  # days since the last bowel movement
    while journey.question_id(maria) is not None:  # the questions after it
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    assert journey.texts(maria)[-1].startswith(t("en", "checkin_late_answer"))
    async with journey.runtime.sessions() as session:
        row = await session.scalar(select(CheckIn).where(CheckIn.pod == 1))
    assert row is not None and row.status is CheckInStatus.COMPLETED
    assert row.tier is not None and row.recovery_score is not None


async def test_after_downtime_a_checkin_inside_its_window_comes_late_and_says_so(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM + timedelta(hours=2))  # the bot was down from 08:59 to 11:00
    assert t("en", "checkin_intro_late", pod=1) in journey.texts(maria)


async def test_after_long_downtime_an_old_checkin_is_missed_not_sent(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    before = journey.texts(maria)
    await journey.at(POD1_9AM + timedelta(hours=13))  # past the 12-hour window, in the evening
    assert journey.texts(maria) == before
    async with journey.runtime.sessions() as session:
        status = await session.scalar(select(CheckIn.status).where(CheckIn.pod == 1))
    assert status is CheckInStatus.MISSED


async def test_help_runs_the_red_flag_screen_at_once(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/help")
    assert t("en", "checkin_intro_concern", number="112") in journey.texts(maria)
    assert journey.question_id(maria) == "red_flags"


async def test_the_menu_button_reports_a_concern_too(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "I have a concern")
    assert journey.question_id(maria) == "red_flags"


async def test_checkin_starts_todays_checkin_early(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    journey.clock.set(POD1_9AM - timedelta(hours=1))
    await journey.type(maria, "/checkin")
    assert journey.question_id(maria) == "red_flags"
    await journey.at(POD1_9AM)  # the scheduled one does not come a second time
    assert journey.texts(maria).count(t("en", "checkin_intro", pod=1)) == 1
    assert journey.question_id(maria) == "red_flags"


async def test_status_shows_the_patients_progress(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/status")
    assert journey.texts(maria)[-1].startswith("Day 0 after your operation.")


async def test_stop_pauses_after_confirmation_and_start_resumes(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/stop")
    await journey.press(maria, Pause(confirmed=True))
    assert journey.texts(maria)[-1] == t("en", "paused")
    assert "paused" in journey.texts(journey.ward)[-1]
    await journey.at(POD1_9AM)
    assert journey.texts(maria)[-1] == t("en", "paused")
    await journey.type(maria, "/start")
    resumed = [text for text in journey.texts(maria) if text.startswith("Welcome back.")]
    assert len(resumed) == 1
    # Resumed inside the POD 1 window: that check-in comes now.
    assert journey.question_id(maria) == "red_flags"


async def test_language_can_be_changed(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/language")
    await journey.press(maria, ChooseLanguage("es"))
    assert journey.texts(maria)[-1] == t("es", "language_set")
    await journey.at(POD1_9AM)
    assert t("es", "checkin_intro", pod=1) in journey.texts(maria)


async def test_the_same_update_delivered_twice_changes_nothing(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    press = journey.sandbox.press_button(
        maria, journey.last(maria), buttons(journey.last(maria))[0][1]
    )
    await journey.settle()
    answers = await _count(journey, Answer)
    sent = len(journey.texts(maria))
    journey.sandbox.send_raw_update(press)  # Telegram hands the same update over again
    await journey.settle()
    from telegram import Update

    await journey.runtime.application.process_update(
        Update.de_json(press, journey.runtime.application.bot)
    )
    await journey.settle()
    assert await _count(journey, Answer) == answers
    assert len(journey.texts(maria)) == sent


async def test_an_edited_answer_never_changes_what_was_recorded(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    while journey.question_id(maria) != "temperature":
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    typed = journey.sandbox.send_text(maria, "37.2")
    await journey.settle()
    assert typed is not None
    journey.sandbox.edit_text(maria, typed["message"], "39.5")
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "edited_ignored")
    async with journey.runtime.sessions() as session:
        values = list(
            await session.scalars(select(Answer.value).where(Answer.item_id == "temperature"))
        )
    assert values == [37.2]


async def test_a_new_time_zone_moves_the_checkins_not_yet_sent(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/timezone")
    await journey.type(maria, "Mars/Olympus_Mons")
    assert "Mars/Olympus_Mons" in journey.texts(maria)[-1]
    await journey.type(maria, "America/New_York")
    assert journey.texts(maria)[-1].startswith("Your time zone is now America/New_York")
    await journey.at(POD1_9AM)  # 09:00 in Madrid is 03:00 in New York: nothing yet
    assert journey.question_id(maria) is None
    await journey.at(local(SURGERY + timedelta(days=1), 9, "America/New_York"))
    assert journey.question_id(maria) == "red_flags"


async def test_a_city_alone_is_answered_with_the_zone_it_names(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/timezone")
    await journey.type(maria, "Madrid")
    assert journey.texts(maria)[-1] == t(
        "en", "timezone_did_you_mean", given="Madrid", zone="Europe/Madrid"
    )
    await journey.type(maria, "Europe/Madrid")
    assert journey.texts(maria)[-1].startswith("Your time zone is now Europe/Madrid")


async def test_a_wound_photo_is_kept_and_reaches_the_team_with_the_alert(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(local(SURGERY + timedelta(days=3), 9, MADRID))
    for _ in range(40):
        last = journey.last(maria)
        if "photo of your wound" in last.get("text", ""):
            journey.sandbox.send_photo(maria, b"\x89PNG not really a wound")
            await journey.settle()
        elif journey.question_id(maria) == "bladder":
            await journey.answer(maria, "difficult")  # amber: the team will be told
        elif journey.question_id(maria) is not None:
            await journey.press(maria, buttons(last)[0][1])
        elif last.get("text", "").startswith("Thank you"):
            break
        else:
            await journey.type(maria, "1")
    async with journey.runtime.sessions() as session:
        value = await session.scalar(select(Answer.value).where(Answer.item_id == "wound_photo"))
    assert isinstance(value, str) and value
    ward = journey.sandbox.messages_to(journey.ward)
    photos = [m for m in ward if m.get("photo")]
    assert len(photos) == 1
    assert photos[0]["caption"].startswith("P-001 · POD 3")
    card = next(m for m in ward if "alert #" in m.get("text", ""))
    assert "📷 1 photo from the patient, below" in card["text"]
    assert card["message_id"] < photos[0]["message_id"]  # the card, then what it announces


async def test_alerts_are_listed_for_admins(
    journey: Journey, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from click.testing import CliRunner

    from bot.cli import cli

    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "normal")
    await journey.answer(maria, "soaked")
    monkeypatch.setenv("ERAS_DATABASE_URL", journey.runtime.settings.database_url)
    import asyncio

    result = await asyncio.to_thread(CliRunner().invoke, cli, ["alert", "list", "--open", "--json"])
    assert result.exit_code == 0, result.output
    [alert] = json.loads(result.output)
    assert (alert["patient"], alert["tier"], alert["rules"]) == (
        "P-001",
        "red_urgent",
        ["wound_bleeding"],
    )
    assert alert["findings"][0]["answers"] == {"wound_bleeding": "soaked"}


async def test_an_unfinished_concern_screen_is_no_missed_checkin(journey: Journey) -> None:
    surgery = SURGERY - timedelta(days=8)  # enrolled on POD 8, a day with no check-in
    maria, _ = await journey.enrolled_patient(surgery=surgery)
    await journey.type(maria, "/help")
    assert journey.question_id(maria) == "red_flags"
    await journey.at(journey.clock.now() + timedelta(hours=13))
    assert await _count(journey, Alert) == 0


async def test_start_again_before_consenting_shows_the_welcome_again(journey: Journey) -> None:
    enrolment = await journey.enrol()
    maria = journey.sandbox.user("Maria")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    await journey.type(maria, "/start")
    assert journey.texts(maria).count(t("en", "consent_question")) == 2


async def test_a_linked_account_cannot_take_another_patients_link(journey: Journey) -> None:
    await _linked_but_not_consented_cannot_take_another_link(journey)
    maria, _ = await journey.enrolled_patient(ref="P-003")
    other = await journey.enrol(ref="P-002")
    journey.sandbox.open_deep_link(maria, other.token)
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "already_enrolled")  # nothing about P-002
    juan = journey.sandbox.user("Juan")  # the link was not used up: its patient can still open it
    journey.sandbox.open_deep_link(juan, other.token)
    await journey.settle()
    assert journey.texts(juan)[-1] == t("en", "consent_question")


async def _linked_but_not_consented_cannot_take_another_link(journey: Journey) -> None:
    first, second = await journey.enrol(ref="P-010"), await journey.enrol(ref="P-011")
    ines = journey.sandbox.user("Ines")
    journey.sandbox.open_deep_link(ines, first.token)
    await journey.settle()
    journey.sandbox.open_deep_link(ines, second.token)
    await journey.settle()
    assert journey.texts(ines)[-1] == t("en", "start_link_invalid")


async def test_a_nurse_links_their_account_once_with_the_staff_link(journey: Journey) -> None:
    from bot.staff.registry import add_staff
    from db.models import Staff, StaffRole

    async with journey.runtime.sessions.begin() as session:
        added = await add_staff(
            session,
            name="Ana",
            role=StaffRole.NURSE,
            team_name="Spine",
            on_call=True,
            telegram_id=None,
            now=journey.clock.now(),
            actor="cli:test",
        )
    assert added.token is not None
    ana, eve = journey.sandbox.user("Ana"), journey.sandbox.user("Eve")
    journey.sandbox.open_deep_link(ana, added.token)
    await journey.settle()
    assert journey.texts(ana) == [t("en", "staff_linked", name="Ana")]
    journey.sandbox.open_deep_link(eve, added.token)
    await journey.settle()
    assert journey.texts(eve) == [t("en", "start_link_invalid")]
    async with journey.runtime.sessions() as session:
        linked = await session.scalar(select(Staff.telegram_user_id))
    assert linked == ana.id


async def test_an_answer_whose_handler_failed_once_is_recorded_on_the_next_round(
    journey: Journey, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.checkins import conversation as checkins

    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    real_answer = checkins.answer
    failures = []

    async def fails_once(*args: Any, **kwargs: Any) -> None:
        if not failures:
            failures.append("once")
            raise ConnectionResetError("the database went away for a moment")
        await real_answer(*args, **kwargs)

    monkeypatch.setattr(checkins, "answer", fails_once)
    await journey.answer(maria, "none")  # the first round fails and rolls back; the next one
    assert failures == ["once"]
    assert journey.question_id(maria) == "bladder"
    async with journey.runtime.sessions() as session:
        answers = list(await session.scalars(select(Answer.item_id)))
    assert sorted(answers) == [  # once each
        "bowel_control",
        "calf",
        "chest_breath",
        "fainted",
        "leg_weakness",
        "near_faint",
        "saddle_numbness",
    ]


async def test_the_welcome_names_the_operation_only_when_it_was_given(journey: Journey) -> None:
    for ref, procedure, said in (
        ("P-001", "MIS-TLIF", "after your operation (MIS-TLIF)."),
        ("P-002", None, "after your operation."),
    ):
        enrolment = await journey.enrol(ref, procedure=procedure)
        person = journey.sandbox.user(ref)
        journey.sandbox.open_deep_link(person, enrolment.token)
        await journey.settle()
        assert said in journey.texts(person)[-2]  # the welcome, then the consent question
