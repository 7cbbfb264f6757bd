"""A small ward for fuzzing, built the way people build it: through Telegram.

Two teams (Spine and Ortho), a nurse in each, and three patients: Maria in the middle of
her POD 1 check-in (asked her temperature, after a soaked dressing raised a red alert),
Bob at the first question of his, and Carla of the Ortho team, who declined (an alert for
Ortho). Hostile updates are then thrown at it; ``park`` puts Maria back at the temperature
question when a test let her move on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.checkins.conversation import open_checkin
from bot.checkins.history import protocol_of
from bot.patients.enrolment.enrol import enrol
from bot.sandbox import Group, Person
from bot.telegram.callbacks import Consent
from db.models import Alert, CheckIn, CheckInStatus, Patient, Team
from flows import CheckInKind, Protocol
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")
# Maria's answers up to the question she is left at.
MARIA_SO_FAR = {
    "red_flags": "none",
    "bladder": "normal",
    "wound_bleeding": "soaked",  # a red flag: the Spine team gets an alert
    "bowels_days": "1",
    "pain_back": "5",
    "pain_leg": "3",
    "pain_control": "partly",
    "walking": "in_room",
}
PARKED_AT = "temperature"


@dataclass
class Cast:
    journey: Journey
    maria: Person
    maria_episode: int
    maria_checkin: int
    bob: Person
    bob_episode: int
    bob_checkin: int
    carla: Person
    ana: Person  # Spine nurse
    olga: Person  # Ortho nurse
    ortho_ward: Group
    spine_alert: int
    ortho_alert: int
    parked: dict[str, Any]  # Maria's conversation, asked her temperature
    bob_at: dict[str, Any]  # Bob's conversation, at his first question
    protocol: Protocol  # both follow the same one

    @property
    def ward(self) -> Group:
        return self.journey.ward

    @property
    def people(self) -> list[Person]:
        return [self.maria, self.bob, self.carla, self.ana, self.olga]

    @property
    def known_ids(self) -> set[int]:
        ids = {p.id for p in self.people} | {self.ward.id, self.ortho_ward.id}
        return ids | {self.journey.sandbox.bot_id}

    async def ask_temperature_again(self) -> None:
        """Maria is asked her temperature again, unless she still is."""
        async with self.journey.runtime.sessions() as session:
            row = await open_checkin(session, self.maria_episode, self.journey.clock.now())
            awaiting = await session.scalar(
                select(Patient.awaiting).where(Patient.telegram_user_id == self.maria.id)
            )
        if row is None or row.conversation != self.parked or awaiting is not None:
            await self.park()

    async def park(self) -> int:
        """Maria gets a fresh check-in that asks her temperature; returns its id."""
        runtime = self.journey.runtime
        now = self.journey.clock.now()
        async with runtime.sessions.begin() as session:
            template = await session.get_one(CheckIn, self.maria_checkin)
            patient = await session.scalar(
                select(Patient).where(Patient.telegram_user_id == self.maria.id)
            )
            assert patient is not None
            patient.awaiting = None
            row = CheckIn(
                episode_id=self.maria_episode,
                protocol_version_id=template.protocol_version_id,
                pod=template.pod,
                kind=CheckInKind.EXTRA,
                status=CheckInStatus.IN_PROGRESS,
                due_at=now,
                missed_at=now + timedelta(hours=12),
                sent_at=now,
                conversation=self.parked,
            )
            session.add(row)
            await session.flush()
            return row.id


async def build_world(journey: Journey) -> Cast:
    sandbox = journey.sandbox
    olga_person = sandbox.user("Olga")
    ortho_ward = sandbox.group("Ortho ward", members=(olga_person,))
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(
                name="Ortho",
                chat_id=ortho_ward.chat_id,
                timezone="Europe/Madrid",
                created_at=journey.clock.now(),
            )
        )
    ana = await journey.staff_member("Ana")
    olga = await journey.staff_member("Olga", team="Ortho")
    maria, maria_enrolment = await journey.enrolled_patient("Maria", ref="P-001")
    bob, bob_enrolment = await journey.enrolled_patient("Bob", ref="P-002")
    carla = await _declined_in_ortho(journey)
    await journey.at(POD1_9AM)
    while (asked := journey.question_id(maria)) != PARKED_AT:
        assert asked is not None, "Maria's check-in ended before her temperature"
        reply = MARIA_SO_FAR[asked]
        if asked == "bowels_days":  # a typed number
            await journey.type(maria, reply)
        else:
            await journey.answer(maria, reply)
    async with journey.runtime.sessions() as session:
        maria_row = await open_checkin(session, maria_enrolment.episode_id, journey.clock.now())
        bob_row = await open_checkin(session, bob_enrolment.episode_id, journey.clock.now())
        assert maria_row is not None and maria_row.conversation
        assert bob_row is not None and bob_row.conversation
        protocol = await protocol_of(session, journey.runtime.catalogue, maria_row)
        alerts = {
            episode: alert_id
            for alert_id, episode in (await session.execute(select(Alert.id, Alert.episode_id)))
        }
    return Cast(
        journey=journey,
        maria=maria,
        maria_episode=maria_enrolment.episode_id,
        maria_checkin=maria_row.id,
        bob=bob,
        bob_episode=bob_enrolment.episode_id,
        bob_checkin=bob_row.id,
        carla=carla,
        ana=ana,
        olga=olga,
        ortho_ward=ortho_ward,
        spine_alert=alerts[maria_enrolment.episode_id],
        ortho_alert=next(a for e, a in alerts.items() if e != maria_enrolment.episode_id),
        parked=dict(maria_row.conversation),
        bob_at=dict(bob_row.conversation),
        protocol=protocol,
    )


async def _declined_in_ortho(journey: Journey) -> Person:
    async with journey.runtime.sessions.begin() as session:
        enrolment = await enrol(
            session,
            journey.runtime.catalogue,
            protocol_id="spine-miss-lumbar",
            team_name="Ortho",
            ref="P-003",
            surgery_date=SURGERY,
            time_zone="Europe/Madrid",
            language="es",
            now=journey.clock.now(),
            actor="cli:test",
        )
    carla = journey.sandbox.user("Carla", language_code="es")
    journey.sandbox.open_deep_link(carla, enrolment.token)
    await journey.settle()
    await journey.press(carla, Consent(enrolment.episode_id, agreed=False))
    return carla
