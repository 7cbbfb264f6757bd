"""The cohort: a fresh database, care teams with their group chats, enrolled patients, and
their check-ins moved so that they fall due during the run.

Enrolment goes through the real enrolment service; linking and consent go through the
real bot (each patient opens their link in the sandbox and presses "Yes"). Only the times
of one check-in per patient are changed, in the database, before the chaos starts.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot.patients.enrolment.enrol import enrol
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.sandbox.serving.client import SandboxClient
from bot.staff.registry import add_staff
from db.engine import create_engine, session_factory
from db.models import CheckIn, Episode, EpisodeStatus, StaffRole, Team
from migrations.runner import upgrade_database
from tests.chaos.patients import Behaviour, Seat, assign_behaviours, red_flag_for

PROTOCOL = "spine-miss-lumbar"
PATIENTS_PER_TEAM = 50  # a ward: a group chat gets 20 messages a minute, so teams share
ACTOR = "cli:chaos"


class ChaosDatabase:
    """A database of its own on a PostgreSQL server, dropped at the end."""

    def __init__(self, server_url: str) -> None:
        self._server = server_url
        self.name = f"chaos_{secrets.token_hex(6)}"
        self.url = (
            make_url(server_url).set(database=self.name).render_as_string(hide_password=False)
        )

    async def _admin(self, statement: str) -> None:
        engine = create_engine(self._server, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    async def create(self) -> None:
        if make_url(self._server).get_backend_name() != "postgresql":
            raise ValueError("the chaos harness runs on PostgreSQL: give a postgresql:// URL")
        await self._admin(f'CREATE DATABASE "{self.name}"')
        await upgrade_database(self.url)

    async def drop(self) -> None:
        await self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass(frozen=True)
class Ward:
    name: str
    chat_id: int
    nurse_chat_id: int
    zone: str


@dataclass(frozen=True)
class PlannedCheckIn:
    """The protocol schedule's word, taken before the chaos: one check-in that falls due."""

    checkin_id: int
    episode_id: int
    ref: str
    chat_id: int
    team_chat_id: int
    behaviour: Behaviour
    due_at: datetime
    remind_at: datetime
    missed_at: datetime


def zone_where_it_is_day(now: datetime) -> str:
    """A fixed-offset zone where it is late morning now: the whole run is far from the
    protocol's quiet hours (22:00 to 08:00), whenever it is started."""
    for offset in range(-12, 15):
        if (now.hour + offset) % 24 == 11:
            # Etc/GMT zones count the other way round: Etc/GMT-3 is UTC+3.
            return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"
    raise AssertionError("every hour has such a zone")


async def set_up_wards(url: str, client: SandboxClient, patients: int) -> list[Ward]:
    """One team per ward of patients, each with its group chat and an on-call nurse (who
    wrote to the bot first: a bot can only write to someone who did)."""
    now = datetime.now(UTC)
    zone = zone_where_it_is_day(now)
    wards = []
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            for n in range(max(1, -(-patients // PATIENTS_PER_TEAM))):
                nurse = await client.user(f"Nurse {n}")
                group = await client.group(f"Ward {n}", members=[nurse["id"]])
                await client.send_text(nurse["id"], "/start")
                name = f"Ward {n}"
                session.add(Team(name=name, chat_id=group["id"], timezone=zone, created_at=now))
                await session.flush()
                await add_staff(
                    session,
                    name=f"Nurse {n}",
                    role=StaffRole.NURSE,
                    team_name=name,
                    on_call=True,
                    telegram_id=nurse["id"],
                    now=now,
                    actor=ACTOR,
                )
                wards.append(Ward(name, group["id"], nurse["chat_id"], zone))
    finally:
        await engine.dispose()
    return wards


async def enrol_patients(
    url: str, client: SandboxClient, wards: list[Ward], count: int, rng: random.Random
) -> list[Seat]:
    """Enrol ``count`` patients operated on today (local time), each with a Telegram account."""
    now = datetime.now(UTC)
    catalogue = ProtocolCatalogue(load_protocols(None))
    seats = []
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            zone = wards[0].zone
            today = now.astimezone(ZoneInfo(zone)).date()
            for n, behaviour in enumerate(assign_behaviours(count, rng)):
                ward = wards[n // PATIENTS_PER_TEAM]
                enrolled = await enrol(
                    session,
                    catalogue,
                    protocol_id=PROTOCOL,
                    team_name=ward.name,
                    ref=f"CH-{n:04}",
                    surgery_date=today,
                    now=now,
                    actor=ACTOR,
                    time_zone=zone,
                    language="en",
                )
                person = await client.user(f"Patient {n}")
                seats.append(
                    Seat(
                        ref=enrolled.ref,
                        user_id=person["id"],
                        chat_id=person["chat_id"],
                        episode_id=enrolled.episode_id,
                        token=enrolled.token,
                        behaviour=behaviour,
                        red_flag=red_flag_for(n) if behaviour is Behaviour.RED_FLAG else None,
                    )
                )
    finally:
        await engine.dispose()
    return seats


async def consented(url: str) -> int:
    """How many episodes are linked and consented."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session:
            found = await session.scalar(
                select(func.count()).where(Episode.status == EpisodeStatus.ACTIVE)
            )
            return int(found or 0)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Timing:
    """How the harness compresses the schedule (seconds from the start of the chaos)."""

    first_due: float
    spread: float  # due times are spread evenly over this long
    remind_after: float
    window: float  # from due to missed


async def compress_schedule(
    url: str, seats: list[Seat], wards: list[Ward], timing: Timing, start: datetime
) -> list[PlannedCheckIn]:
    """Move each patient's POD 1 check-in into the run, and return the plan as it stands."""
    team_chat = {w.name: w.chat_id for w in wards}
    order = list(range(len(seats)))
    random.Random(len(seats)).shuffle(order)  # behaviours are not bunched in time
    plan = []
    engine = create_engine(url)
    try:
        async with session_factory(engine).begin() as session:
            for slot, index in enumerate(order):
                seat = seats[index]
                row = await session.scalar(
                    select(CheckIn).where(CheckIn.episode_id == seat.episode_id, CheckIn.pod == 1)
                )
                assert row is not None, "POD 1 is in every planned schedule of the protocol"
                offset = timing.first_due + timing.spread * slot / max(1, len(seats))
                due = start + timedelta(seconds=offset)
                row.due_at = due
                row.remind_at = due + timedelta(seconds=timing.remind_after)
                row.missed_at = due + timedelta(seconds=timing.window)
                episode = await session.get_one(Episode, seat.episode_id)
                team = await session.get_one(Team, episode.team_id)
                plan.append(
                    PlannedCheckIn(
                        checkin_id=row.id,
                        episode_id=seat.episode_id,
                        ref=seat.ref,
                        chat_id=seat.chat_id,
                        team_chat_id=team_chat[team.name],
                        behaviour=seat.behaviour,
                        due_at=row.due_at,
                        remind_at=row.remind_at,
                        missed_at=row.missed_at,
                    )
                )
            # Nothing else may fall due during the run, or the plan would not be the whole.
            others = await session.scalar(
                select(func.count()).where(
                    CheckIn.id.not_in([p.checkin_id for p in plan]),
                    CheckIn.due_at < start + timedelta(hours=6),
                )
            )
            assert not others, "only the moved check-ins may fall due during the run"
    finally:
        await engine.dispose()
    return sorted(plan, key=lambda p: p.due_at)
