"""/patient REF: a nurse of the patient's team reads the timeline and sees the recovery chart;
nobody else learns anything, and every attempt is in the audit log."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from matplotlib.colors import to_rgb
from matplotlib.image import imread
from sqlalchemy import select, update

from bot.reports.recovery_chart import recovery_chart
from bot.sandbox import Person
from bot.staff.registry import add_staff
from bot.telegram.callbacks import SKIP
from bot.telegram.render.chart import BACK_PAIN_COLOUR
from db.models import AuditEntry, Episode, Patient, Staff, StaffRole, Team
from tests.fixtures.journey import SURGERY, Journey, buttons, local

MADRID = "Europe/Madrid"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BACK_PAIN_RGB = to_rgb(BACK_PAIN_COLOUR)
NOT_STAFF = "This command is for care-team staff."
NOT_FOUND = "No patient P-001 among your teams' patients."
# What a patient without complaints answers, by question; pain and walking come per day.
USUAL = {
    "red_flags": "none",
    "warning_signs": "none",
    "bladder": "normal",
    "wound_bleeding": "dry",
    "wound_fluid": "none",
    "wound_redness": "none",
    "pain_control": "controlled",
    "fluids_down": "yes",
    "temperature": SKIP,
    "wound_photo": SKIP,
    "sleepy": "awake",
    "opioid_use": "less",
}


def nine(pod: int) -> datetime:
    return local(SURGERY + timedelta(days=pod), 9, MADRID)


async def staff(journey: Journey, name: str, team: str = "Spine") -> Person:
    person = journey.sandbox.user(name)
    async with journey.runtime.sessions.begin() as session:
        await add_staff(
            session,
            name=name,
            role=StaffRole.NURSE,
            team_name=team,
            on_call=False,
            telegram_id=person.id,
            now=journey.clock.now(),
            actor="cli:test",
        )
    journey.sandbox.send_text(person, "/start")  # a bot cannot write first in a private chat
    await journey.settle()
    return person


async def check_in(journey: Journey, maria: Person, pod: int, **answers: object) -> None:
    """Maria answers the day's check-in at 09:00: ``answers`` by question, the rest as usual."""
    await journey.at(nine(pod))
    choices = {**USUAL, **{k: str(v) for k, v in answers.items()}}
    for _ in range(40):
        question = journey.question_id(maria)
        if question is None:
            if "bowel movement" not in journey.last(maria).get("text", ""):
                return
            await journey.type(maria, "1")  # days since the last bowel movement
            continue
        await journey.answer(maria, choices[question])
    raise AssertionError("the check-in did not end")


async def resolve_as(journey: Journey, nurse: Person, *labels: str) -> None:
    """``nurse`` presses these buttons of the latest alert card, one after the other."""
    for label in labels:
        card = journey.last(journey.ward)
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(nurse, card, data, chat=journey.ward)
        await journey.settle()


async def four_days_at_home(journey: Journey) -> tuple[Person, Person]:
    """Ana's patient Maria: pain 7 on POD 1 (amber, acknowledged and resolved by Ana), behind
    on walking on POD 2, no answer on POD 3, a soaked dressing on POD 4 (red, open)."""
    ana = await staff(journey, "Ana")
    journey.ward.add_member(ana)
    maria, _ = await journey.enrolled_patient()
    await check_in(journey, maria, 1, pain_back=7, pain_leg=4, walking="in_room")
    await resolve_as(journey, ana, "Acknowledge", "Resolve", "Advice given", "No complication")
    await check_in(journey, maria, 2, pain_back=6, pain_leg=3, walking="in_room")
    await journey.at(nine(3))  # POD 3 is sent and goes unanswered: missed
    await journey.at(nine(3) + timedelta(hours=12))
    await check_in(
        journey, maria, 4, pain_back=4, pain_leg=2, walking="indoors", wound_bleeding="soaked"
    )
    journey.clock.advance(timedelta(hours=1))
    return ana, maria


async def one_day_at_home(journey: Journey) -> tuple[Person, Person]:
    """Ana's patient Maria, with pain 7 on POD 1: a record worth keeping from outsiders."""
    ana = await staff(journey, "Ana")
    maria, _ = await journey.enrolled_patient()
    await check_in(journey, maria, 1, pain_back=7, pain_leg=4, walking="in_room")
    return ana, maria


async def audit(journey: Journey) -> list[AuditEntry]:
    async with journey.runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "patient.view").order_by(AuditEntry.id)
        )
        return list(rows)


def photos_to(journey: Journey, person: Person) -> list[dict[str, Any]]:
    return [m for m in journey.sandbox.messages_to(person) if m.get("photo")]


async def test_a_nurse_of_the_team_gets_the_timeline_then_the_chart(journey: Journey) -> None:
    ana, _ = await four_days_at_home(journey)

    await journey.type(ana, "/patient P-001")

    *_, timeline_message, photo = journey.sandbox.messages_to(ana)
    timeline = timeline_message["text"]
    lines = timeline.splitlines()
    assert lines[0] == "P-001 · MIS lumbar discectomy"
    assert "Surgery 2026-03-02 · POD 4 today · episode active" in lines
    assert "Times are the patient's local time (Europe/Madrid)." in lines
    assert "POD 1 · Tue 03 Mar 09:00 · answered · amber · recovery 100%" in lines
    assert "POD 2 · Wed 04 Mar 09:00 · answered · green · recovery 50%" in lines
    assert "POD 3 · Thu 05 Mar 09:00 · missed · green" in lines
    assert "POD 4 · Fri 06 Mar 09:00 · answered · red_urgent · recovery 100%" in lines
    assert "POD 5 · Sat 07 Mar 09:00 · pending" in lines
    assert "POD 30 · Wed 01 Apr 09:00 · pending" in lines  # summer time: still 09:00 there
    first, second = (line for line in lines if line.startswith("#"))
    assert first.startswith("#1 amber · opened Tue 03 Mar 09:00 · resolved")
    assert "acknowledged by Ana · resolved by Ana · outcome: Advice given" in first
    assert first.endswith(" · pain_high")
    assert second == "#2 red_urgent · opened Fri 06 Mar 09:00 · open · wound_bleeding"
    assert "Maria" not in timeline  # the pseudonymous reference, never the name

    assert photos_to(journey, ana) == [photo]
    assert photo["caption"] == "P-001 · pain and walking by POD, against the pathway's milestones"
    png = journey.sandbox.photo_data(photo)
    assert png.startswith(PNG_SIGNATURE)
    pixels = imread(io.BytesIO(png))
    height, width, _ = pixels.shape
    assert (width, height) == (800, 600)
    back_pain_blue = (abs(pixels[:, :, :3] - BACK_PAIN_RGB) < 0.02).all(axis=2)
    assert back_pain_blue.sum() > 100  # the back-pain line is drawn, not an empty frame
    assert (photo["photo"][-1]["width"], photo["photo"][-1]["height"]) == (800, 600)
    upload = journey.sandbox.ledger.calls("sendPhoto", chat_id=ana.chat_id)[-1]
    assert upload.params["photo"].data == png


async def test_the_chart_shows_what_was_answered_against_the_pathways_goals(
    journey: Journey,
) -> None:
    await four_days_at_home(journey)
    async with journey.runtime.sessions() as session:
        patient = await session.scalar(select(Patient).where(Patient.ref == "P-001"))
        episode = await session.scalar(select(Episode))
        assert patient is not None and episode is not None
        chart = await recovery_chart(
            session, journey.runtime.catalogue, patient, episode, journey.clock.now()
        )
    assert chart.title == "P-001 · MIS lumbar discectomy"
    assert chart.back_pain == [(1, 7), (2, 6), (4, 4)]
    assert chart.leg_pain == [(1, 4), (2, 3), (4, 2)]
    assert chart.walking == [(1, 1), (2, 1), (4, 2)]  # around the room, the room, indoors
    assert chart.walking_behind == [(2, 1)]  # indoors was due on POD 2 on the MIS pathway
    assert chart.back_pain_behind == []  # at most 5 from POD 3: 4 on POD 4 is on track
    assert chart.back_pain_goal == [(3, 5), (7, 4), (14, 3), (30, 2)]
    assert chart.walking_goal == [(1, 1), (2, 2), (7, 3), (14, 4)]
    assert chart.missed == [3]
    assert (chart.today, chart.last_pod) == (4, 5)


async def cardio_team(journey: Journey) -> None:
    async with journey.runtime.sessions.begin() as session:
        now = journey.clock.now()
        session.add(Team(name="Cardio", chat_id=-999, timezone="UTC", created_at=now))


TOLD = {
    "the patient": NOT_STAFF,
    "another team's nurse": NOT_FOUND,
    "a nurse of the team no longer active": NOT_STAFF,
    "an unknown user": NOT_STAFF,
}


@pytest.mark.parametrize("who", list(TOLD))
async def test_anyone_else_learns_nothing_and_is_audited(journey: Journey, who: str) -> None:
    ana, maria = await one_day_at_home(journey)
    await cardio_team(journey)
    if who == "the patient":
        person = maria
    elif who == "another team's nurse":
        person = await staff(journey, "Carla", team="Cardio")
    elif who == "a nurse of the team no longer active":
        person = ana
        async with journey.runtime.sessions.begin() as session:
            await session.execute(update(Staff).values(active=False))
    else:
        person = journey.sandbox.user("Eve")

    await journey.type(person, "/patient P-001")

    assert journey.texts(person)[-1] == TOLD[who]
    assert photos_to(journey, person) == []
    (refused,) = await audit(journey)
    assert (refused.outcome, refused.patient_ref) == ("refused", "P-001")


async def test_an_unknown_reference_is_answered_like_another_teams_patient(
    journey: Journey,
) -> None:
    await one_day_at_home(journey)
    await cardio_team(journey)
    carla = await staff(journey, "Carla", team="Cardio")

    await journey.type(carla, "/patient P-001")
    await journey.type(carla, "/patient P-404")

    exists, unknown = journey.texts(carla)[-2:]
    assert exists == NOT_FOUND
    assert unknown == "No patient P-404 among your teams' patients."
    assert photos_to(journey, carla) == []
    reasons = [(e.patient_ref, e.outcome, e.detail["reason"]) for e in (await audit(journey))]
    assert reasons == [
        ("P-001", "refused", "not_their_team"),
        ("P-404", "refused", "unknown_patient"),
    ]


async def test_each_view_is_audited_under_the_staff_member(journey: Journey) -> None:
    ana, _ = await one_day_at_home(journey)

    await journey.type(ana, "/patient P-001")
    await journey.type(ana, "/patient")

    viewed, asked_nothing = await audit(journey)
    async with journey.runtime.sessions() as session:
        episode_id = await session.scalar(select(Episode.id))
        ana_id = await session.scalar(select(Staff.id).where(Staff.name == "Ana"))
    assert (viewed.actor_kind, viewed.actor_ref) == ("staff", f"staff:{ana_id}")
    assert (viewed.outcome, viewed.patient_ref) == ("done", "P-001")
    assert viewed.detail == {"episode": episode_id, "alerts": [1]}
    assert (asked_nothing.outcome, asked_nothing.detail) == ("refused", {"reason": "no_reference"})
    assert journey.texts(ana)[-1] == "Usage: /patient REF, with the patient's reference."
    assert len(photos_to(journey, ana)) == 1
