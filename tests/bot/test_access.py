"""Every handler, tried by the wrong people: refused, nothing changed, the attempt audited.

The handlers are read from the running bot's Application, so a handler added without
attempts here fails ``test_every_handler_has_its_intruders``. Each attempt is made by a
patient on a staff action, staff of another team, staff on a patient action, an unknown
Telegram account, from a group that is no team chat, or with forged or stale callback data.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.sandbox import Group, Person
from bot.telegram.callbacks import (
    Acknowledge,
    AnswerChoice,
    Consent,
    NoteOnAlert,
    OpenConsole,
    Press,
    ReplyToPatient,
    ResolveGraded,
    ResolveWith,
    encode,
)
from db.models import Alert, AuditEntry, Base, CheckIn, CheckInStatus, Team
from tests.fixtures.journey import SURGERY, Journey, buttons, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")
# Rows that an attempt may add: the record of the attempt itself, and what is said back.
RECORDS = {
    "audit_log",
    "audit_checkpoints",
    "inbox_updates",
    "outbox_messages",
    "heartbeats",
    "link_failures",
    "stranger_tallies",
}


@dataclass
class World:
    """A ward with an open red alert on Maria's card, and everyone who should not touch it."""

    journey: Journey
    maria: Person  # patient of the Spine team, mid-check-in, with an open alert
    bob: Person  # another patient, mid-check-in too
    ana: Person  # nurse of the Spine team
    carla: Person  # nurse of another team
    eve: Person  # a Telegram account the bot does not know
    stray: Group  # a group that is no team's chat
    card: dict[str, Any]
    alert_id: int
    maria_checkin: int
    bob_episode: int
    team_id: int  # the Spine team's, whose card this is

    def forge(self, sender: Person, data: str, message: dict[str, Any] | None = None) -> None:
        """A callback query no button of this message carries (a modified client)."""
        shown = message or self.card
        query = {
            "id": f"forged-{sender.id}-{data}",
            "from": {"id": sender.id, "is_bot": False, "first_name": sender.first_name},
            "chat_instance": "1",
            "data": data,
            "message": shown,
        }
        self.journey.sandbox.send_raw_update({"callback_query": query})

    def in_stray_group(self, sender: Person) -> dict[str, Any]:
        """A message of the bot's as if shown in the stray group, for a forged press there."""
        return {**self.card, "chat": {"id": self.stray.chat_id, "type": "group", "title": "x"}}


async def _world(journey: Journey) -> World:
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(name="Cardio", chat_id=-999, timezone="UTC", created_at=journey.clock.now())
        )
    ana = await journey.staff_member("Ana")
    carla = await journey.staff_member("Carla", team="Cardio")
    maria, _ = await journey.enrolled_patient()
    bob, bob_enrolment = await journey.enrolled_patient("Bob", ref="P-002")
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "soaked"):  # red_urgent: the card goes to the ward
        await journey.answer(maria, choice)
    eve = journey.sandbox.user("Eve")
    stray = journey.sandbox.group("Coffee corner", members=(eve, maria, ana))
    async with journey.runtime.sessions() as session:
        alert = await session.scalar(select(Alert))
        team_id = await session.scalar(select(Team.id).where(Team.name == "Spine"))
        checkin = await session.scalar(
            select(CheckIn).where(CheckIn.status == CheckInStatus.IN_PROGRESS).order_by(CheckIn.id)
        )
    assert alert is not None and checkin is not None and team_id is not None
    return World(
        journey,
        maria,
        bob,
        ana,
        carla,
        eve,
        stray,
        journey.card(),
        alert.id,
        checkin.id,
        bob_enrolment.episode_id,
        team_id,
    )


async def _state(journey: Journey) -> dict[str, list[str]]:
    """Every row of every table but the records of attempts, as text."""
    state: dict[str, list[str]] = {}
    async with journey.runtime.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in RECORDS:
                continue
            rows = await session.execute(select(table).order_by(*table.primary_key.columns))
            state[table.name] = [repr(tuple(row)) for row in rows]
    return state


async def _refusals(journey: Journey) -> int:
    async with journey.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "refused")
        )
    return int(count or 0)


Attempt = Callable[[World], Awaitable[None]]
# What an outsider must never be shown of Maria (her reference they may type themselves).
PATIENT_DATA = ("Maria", "MIS lumbar", "oaked", "wound_bleeding", "URGENT: 1")


def said(text: str, who: str, chat: str = "private") -> Attempt:
    async def attempt(world: World) -> None:
        sender = getattr(world, who)
        if chat == "private":
            world.journey.sandbox.send_text(sender, text)
            return
        # As Telegram delivers it to a bot whose privacy mode is off: any message in a group.
        message = {
            "message_id": 1_000_000 + sender.id % 1000,
            "date": 1_772_000_000,
            "chat": {"id": world.stray.chat_id, "type": "group", "title": "Coffee corner"},
            "from": {"id": sender.id, "is_bot": False, "first_name": sender.first_name},
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        world.journey.sandbox.send_raw_update({"message": message})

    attempt.__name__ = f"{who} says {text!r}" + (" in a group" if chat == "stray" else "")
    return attempt


def pressed(press: Callable[[World], Press], who: str, *, stray: bool = False) -> Attempt:
    async def attempt(world: World) -> None:
        sender = getattr(world, who)
        data = encode(press(world))
        world.forge(sender, data, world.in_stray_group(sender) if stray else None)

    attempt.__name__ = f"{who} presses" + (" in a group" if stray else "")
    return attempt


async def _photo(world: World) -> None:
    world.journey.sandbox.send_photo(world.eve, b"\x89PNG not a wound")


async def _voice(world: World) -> None:
    world.journey.sandbox.send_voice(world.eve, b"OggS not a patient")


def replied(who: str, *, to_a_prompt: bool = False, stray: bool = False) -> Attempt:
    """``who`` replies to the bot's card, or to a prompt Ana asked for a note with, in the
    team's group (or in the stray group)."""

    async def attempt(world: World) -> None:
        sender, journey = getattr(world, who), world.journey
        target = world.card
        if to_a_prompt:
            world.forge(world.ana, encode(NoteOnAlert(world.alert_id)))
            await journey.settle()
            target = journey.last(journey.ward)
        if not stray:
            words = "Stop all her pills."
            journey.sandbox.send_text(sender, words, chat=journey.ward, reply_to=target)
            return
        message = {
            "message_id": 2_000_000,
            "date": 1_772_000_000,
            "chat": {"id": world.stray.chat_id, "type": "group", "title": "Coffee corner"},
            "from": {"id": sender.id, "is_bot": False, "first_name": sender.first_name},
            "text": "Stop all her pills.",
            "reply_to_message": world.in_stray_group(sender),
        }
        journey.sandbox.send_raw_update({"message": message})

    prompt = "a prompt" if to_a_prompt else "the card"
    attempt.__name__ = f"{who} replies to {prompt}" + (" in a group" if stray else "")
    return attempt


async def _edit(world: World) -> None:
    sent = world.journey.sandbox.send_text(world.eve, "pain 2")
    assert sent is not None
    await world.journey.settle()
    world.journey.sandbox.edit_text(world.eve, sent["message"], "pain 9")


def _answer(world: World) -> Press:
    return AnswerChoice(world.maria_checkin, "pain_back", "3")


# Who tries what, per handler (its callback's name).
INTRUDERS: dict[str, list[Attempt]] = {
    "start": [said("/start", "eve"), said("/start", "carla"), said("/start", "eve", "stray")],
    "command": [
        said("/checkin", "eve"),
        said("/status", "ana"),
        said("/help", "maria", "stray"),
    ],
    "button": [
        pressed(_answer, "eve"),
        pressed(_answer, "bob"),  # another patient's check-in
        pressed(lambda w: Consent(w.bob_episode, agreed=True), "maria"),  # Bob's consent
        pressed(_answer, "maria", stray=True),
    ],
    "text": [said("3", "eve"), said("3", "ana"), said("3", "maria", "stray")],
    "photo": [_photo],
    "voice": [_voice],
    "edited": [_edit],
    "alert_button": [
        pressed(lambda w: Acknowledge(w.alert_id), "maria"),
        pressed(lambda w: Acknowledge(w.alert_id), "carla"),
        pressed(lambda w: Acknowledge(w.alert_id), "eve"),
        pressed(lambda w: ResolveGraded(w.alert_id, "readmitted", "IVb"), "carla"),
        pressed(lambda _: Acknowledge(999999), "ana"),  # an alert that does not exist
        pressed(lambda w: ResolveWith(w.alert_id, "discharged"), "ana"),  # nor this outcome
        pressed(lambda w: Acknowledge(w.alert_id), "eve", stray=True),
    ],
    "record_button": [  # Reply to patient, Add note
        pressed(lambda w: NoteOnAlert(w.alert_id), "maria"),
        pressed(lambda w: NoteOnAlert(w.alert_id), "carla"),
        pressed(lambda w: NoteOnAlert(w.alert_id), "eve"),
        pressed(lambda _: ReplyToPatient(999999), "ana"),  # a message that does not exist
        pressed(lambda w: NoteOnAlert(w.alert_id), "eve", stray=True),
    ],
    "console_button": [  # Open console: a sign-in link in the presser's private chat
        pressed(lambda w: OpenConsole(w.team_id), "maria"),
        pressed(lambda w: OpenConsole(w.team_id), "carla"),
        pressed(lambda w: OpenConsole(w.team_id), "eve"),
        pressed(lambda _: OpenConsole(999999), "ana"),  # a team that is not hers
        pressed(lambda w: OpenConsole(w.team_id), "eve", stray=True),
    ],
    "reply_in_group": [
        replied("carla", to_a_prompt=True),
        replied("eve", to_a_prompt=True),
        replied("maria", to_a_prompt=True),
        replied("ana"),  # to the card, not a prompt: reaches nobody
        replied("eve", stray=True),
    ],
    "alerts_command": [said("/alerts", "maria"), said("/alerts", "eve")],
    "digest_command": [said("/digest", "maria"), said("/digest", "eve")],
    "patient_command": [
        said("/patient P-001", "maria"),
        said("/patient P-001", "carla"),
        said("/patient P-001", "eve"),
        said("/patient P-001", "ana", "stray"),
    ],
    "console_command": [  # a sign-in link for the console
        said("/console", "maria"),
        said("/console", "eve"),
        said("/console", "ana", "stray"),  # never in a group, even to staff
    ],
    "unknown": [said("/prescriptions", "eve"), said("/prescriptions", "eve", "stray")],
    "unhandled": [said("hello bot", "eve", "stray"), said("/alerts", "carla", "stray")],
}
# Staff of another team may use their own views: they must see nothing of this team's.
OWN_TEAM_VIEWS: dict[str, list[Attempt]] = {
    "alerts_command": [said("/alerts", "carla")],
    "digest_command": [said("/digest", "carla")],
}


def _handler_names(journey: Journey) -> set[str]:
    return {
        handler.callback.__name__
        for group in journey.runtime.application.handlers.values()
        for handler in group
    }


async def test_every_handler_has_its_intruders(journey: Journey) -> None:
    assert _handler_names(journey) == set(INTRUDERS)


@pytest.mark.parametrize("handler", INTRUDERS)
async def test_the_wrong_people_are_refused_change_nothing_and_are_audited(
    journey: Journey, handler: str
) -> None:
    # The handler's intruders one after another on one ward: a refusal changes nothing,
    # so each finds the ward as the first did (one that changed something fails there).
    world = await _world(journey)
    before = await _state(journey)
    for attempt in INTRUDERS[handler]:
        refused = await _refusals(journey)
        heard_before = {p.id: len(journey.texts(p)) for p in (world.carla, world.eve)}

        await attempt(world)
        await journey.settle()

        who = attempt.__name__
        assert await _state(journey) == before, f"{who}: an intruder changed something"
        assert await _refusals(journey) > refused, f"{who}: the attempt left no trace"
        for person in (world.carla, world.eve):  # outsiders learn nothing of the patient
            for text in journey.texts(person)[heard_before[person.id] :]:
                assert not any(secret in text for secret in PATIENT_DATA), (who, text)
        assert buttons(journey.card()) == buttons(world.card), f"{who}: the card changed"


@pytest.mark.parametrize(
    "attempt",
    [a for attempts in OWN_TEAM_VIEWS.values() for a in attempts],
    ids=lambda a: a.__name__,
)
async def test_staff_of_another_team_see_nothing_of_this_team(
    journey: Journey, attempt: Attempt
) -> None:
    world = await _world(journey)
    before = await _state(journey)
    heard = len(journey.texts(world.carla))
    await attempt(world)
    await journey.settle()
    assert await _state(journey) == before
    replies = journey.texts(world.carla)[heard:]
    assert replies and all("P-001" not in text for text in replies)
    assert not any(secret in text for text in replies for secret in PATIENT_DATA)
