"""Enrol a synthetic cohort and live its follow-up on a simulated clock, through the use cases.

Where it enters the pipeline: enrolment (``bot.patients.enrolment.enrol``), consent
(``bot.patients.first_contact.consent``, what the consent button calls), the dispatcher's
ticks (``bot.checkins.dispatcher.Dispatcher``: send, remind, close as missed, raise
non-response alerts), the patient's replies through the use cases a button press and a
typed message reach (``answerable`` / ``open_checkin``, then ``bot.checkins.conversation.
answer``: recorded, scored, alerts raised), escalation (``bot.alerts.escalation.Escalator``)
and the nurse's acknowledge and resolve (``bot.alerts.actions``). Telegram itself is left
out: the patients are never linked to a chat, so nothing is queued for sending.

It refuses a database holding any patient it did not make (references ``SYN-…``).
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.alerts import actions
from bot.alerts.escalation import Escalator
from bot.checkins import conversation as checkins
from bot.checkins.dispatcher import Dispatcher
from bot.checkins.history import protocol_of
from bot.clock import FakeClock
from bot.context import PatientChat, Site
from bot.patients.chat.first_contact import consent
from bot.patients.enrolment.enrol import enrol
from bot.patients.synthetic.answers import reply_to
from bot.patients.synthetic.model import REF_PREFIX, SyntheticPatient, cohort
from bot.protocols.catalogue import ProtocolCatalogue
from db.models import (
    OPEN_ALERTS,
    Alert,
    AlertStatus,
    CheckIn,
    CheckInStatus,
    Episode,
    Patient,
    Staff,
    StaffRole,
    Team,
    TeamMember,
)
from flows import CheckInState, next_question

TEAM = "Synthetic ward"
ZONE = "Europe/Madrid"
ACTOR = "synthetic-cohort"
MOST_REPLIES = 80  # a check-in never takes more: more means a reply was not understood


class CohortRefused(Exception):
    """The database holds real patients, or this cohort already."""


@dataclass(frozen=True)
class CohortSpec:
    n: int
    seed: int
    pathways: dict[str, tuple[str, str]]  # id → (approach, operation)
    first_surgery: date  # surgeries fall over ``spread_days`` from this day
    spread_days: int = 28


@dataclass
class Generated:
    patients: list[SyntheticPatient] = field(default_factory=list)
    answered: int = 0  # check-ins answered
    alerts_resolved: int = 0


async def refuse_real_patients(session: AsyncSession, seed: int) -> None:
    real = await session.scalar(
        select(func.count()).select_from(Patient).where(~Patient.ref.startswith(REF_PREFIX))
    )
    if real:
        raise CohortRefused(
            f"the database holds {real} patient(s) not made by the generator: "
            "a synthetic cohort goes only into a database of its own"
        )
    taken = await session.scalar(
        select(func.count())
        .select_from(Patient)
        .where(Patient.ref.startswith(f"{REF_PREFIX}{seed}-"))
    )
    if taken:
        raise CohortRefused(f"a synthetic cohort with seed {seed} is already there")


async def generate(
    sessions: async_sessionmaker[AsyncSession],
    catalogue: ProtocolCatalogue,
    spec: CohortSpec,
) -> Generated:
    start = datetime.combine(spec.first_surgery - timedelta(days=1), time(10), ZoneInfo(ZONE))
    clock = FakeClock(start.astimezone(ZoneInfo("UTC")))
    site = Site(emergency_number="112")
    async with sessions.begin() as session:
        await refuse_real_patients(session, spec.seed)
        staff_id = await _ward(session, clock.now())
    people = cohort(spec.n, spec.pathways, spec.first_surgery, spec.seed, spec.spread_days)
    run = _Run(sessions, catalogue, site, clock, staff_id, spec.seed)
    await run.enrol_all(people)
    # The ward has nobody linked to Telegram: an escalation step is recorded, told to nobody.
    escalation_log = logging.getLogger("bot.alerts.escalation")
    level = escalation_log.level
    escalation_log.setLevel(logging.ERROR)
    try:
        while True:
            await run.step()
            following = await run.next_instant()
            if following is None:
                break
            clock.set(following)
    finally:
        escalation_log.setLevel(level)
    return Generated(people, run.answered, run.resolved)


async def _ward(session: AsyncSession, now: datetime) -> int:
    """The synthetic team (no Telegram group) and its nurse; their ids."""
    team = await session.scalar(select(Team).where(Team.name == TEAM))
    if team is None:
        team = Team(name=TEAM, chat_id=None, timezone=ZONE, created_at=now)
        session.add(team)
        await session.flush()
    nurse = await session.scalar(
        select(Staff).join(TeamMember).where(TeamMember.team_id == team.id)
    )
    if nurse is None:
        nurse = Staff(name="Synthetic nurse", active=True, created_at=now)
        session.add(nurse)
        await session.flush()
        session.add(
            TeamMember(team_id=team.id, staff_id=nurse.id, role=StaffRole.NURSE, on_call=True)
        )
    return nurse.id


class _Run:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogue: ProtocolCatalogue,
        site: Site,
        clock: FakeClock,
        staff_id: int,
        seed: int,
    ) -> None:
        self.sessions, self.catalogue, self.site, self.clock = sessions, catalogue, site, clock
        self.nurse = actions.ConsoleUser(staff_id)
        self.seed = seed
        self.dispatcher = Dispatcher(sessions, catalogue, site, clock, owner=ACTOR)
        self.escalator = Escalator(sessions, catalogue, clock)
        self.by_episode: dict[int, SyntheticPatient] = {}
        self.answered = self.resolved = 0
        self.nurse_plans: list[datetime] = []  # when the nurse will act on open alerts

    async def enrol_all(self, people: list[SyntheticPatient]) -> None:
        now = self.clock.now()
        for person in people:
            async with self.sessions.begin() as session:
                enrolled = await enrol(
                    session,
                    self.catalogue,
                    protocol_id=person.pathway,
                    team_name=TEAM,
                    ref=person.ref,
                    surgery_date=person.surgery_date,
                    discharge_date=person.discharge_date,
                    now=now,
                    actor=ACTOR,
                )
                chat = await self._chat(session, enrolled.episode_id, now)
                await consent(chat, True, "09:00")
            self.by_episode[enrolled.episode_id] = person

    async def next_instant(self) -> datetime | None:
        """The next instant at which anything can happen: a check-in falls due, is reminded
        or closes, a deferred one comes back, an escalation step or the nurse's next act."""
        now = self.clock.now()
        unfinished = CheckIn.status.in_((CheckInStatus.SENT, CheckInStatus.IN_PROGRESS))
        queries = (
            select(func.min(CheckIn.due_at)).where(
                CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at > now
            ),
            select(func.min(CheckIn.remind_at)).where(
                unfinished, CheckIn.reminded_at.is_(None), CheckIn.remind_at > now
            ),
            select(func.min(CheckIn.missed_at)).where(
                unfinished | (CheckIn.status == CheckInStatus.SCHEDULED), CheckIn.missed_at > now
            ),
            select(func.min(CheckIn.lease_until)).where(CheckIn.lease_until > now),
            select(func.min(Alert.next_escalation_at)).where(
                Alert.status.in_(OPEN_ALERTS), Alert.next_escalation_at > now
            ),
        )
        async with self.sessions() as session:
            found = [await session.scalar(query) for query in queries]
        found.extend(self.nurse_plans)
        later = [instant for instant in found if instant is not None and instant > now]
        return min(later, default=None)

    async def step(self) -> None:
        while (await self.dispatcher.tick()).sent:
            pass  # a batch at a time: until nothing more is due
        await self.escalator.tick()
        await self._answer_what_was_sent()
        await self._nurse_round()

    async def _chat(self, session: AsyncSession, episode_id: int, now: datetime) -> PatientChat:
        episode = await session.get_one(Episode, episode_id)
        patient = await session.get_one(Patient, episode.patient_id)
        return PatientChat(session, patient, episode, now)

    async def _answer_what_was_sent(self) -> None:
        async with self.sessions() as session:
            sent = (
                await session.execute(
                    select(CheckIn.id, CheckIn.episode_id, CheckIn.pod)
                    .where(CheckIn.status == CheckInStatus.SENT)
                    .order_by(CheckIn.id)
                )
            ).all()
        for checkin_id, episode_id, pod in sent:
            person = self.by_episode.get(episode_id)
            if person is not None and person.answers_on(pod):
                await self._answer(checkin_id, episode_id, pod, person)

    async def _answer(
        self, checkin_id: int, episode_id: int, pod: int, person: SyntheticPatient
    ) -> None:
        """The whole check-in in one transaction: found as a press finds it (``answerable``),
        then each reply taken by the conversation's ``answer`` (recorded, scored, alerts
        raised), with the question's id as a button carries it (none for typed text)."""
        now = self.clock.now()
        async with self.sessions.begin() as session:
            chat = await self._chat(session, episode_id, now)
            row = await checkins.answerable(session, episode_id, checkin_id, now)
            if row is None:
                return
            protocol = await protocol_of(session, self.catalogue, row)
            for _ in range(MOST_REPLIES):
                state = CheckInState.from_json(row.conversation or {})
                question = next_question(protocol, state, chat.language)
                if question is None or row.completed_at is not None:
                    break
                reply = reply_to(person, protocol, question, pod)
                typed = not question.choices and reply != "skip"
                await checkins.answer(
                    chat,
                    self.catalogue,
                    self.site,
                    row,
                    reply,
                    question_id=None if typed else question.id,
                )
            else:
                raise RuntimeError(f"check-in {checkin_id} took more than {MOST_REPLIES} replies")
        self.answered += 1

    async def _nurse_round(self) -> None:
        """The nurse acknowledges each alert some minutes after it opened and resolves it
        later with an outcome, both drawn per alert from the seed."""
        now = self.clock.now()
        self.nurse_plans = []
        async with self.sessions() as session:
            alerts = list(await session.scalars(select(Alert).where(Alert.status.in_(OPEN_ALERTS))))
        for alert in alerts:
            draw = random.Random(f"{self.seed}:alert:{alert.id}")
            acknowledge_after = timedelta(
                minutes=draw.choice(ACKNOWLEDGE_MINUTES[alert.tier.value])
            )
            resolve_after = timedelta(minutes=draw.randint(20, 240))
            outcome, grade = draw.choices(*zip(*OUTCOMES.get(alert.cause, FOLLOW_UP), strict=True))[
                0
            ]
            if alert.status is AlertStatus.OPEN:
                when = alert.opened_at + acknowledge_after
            else:
                assert alert.acknowledged_at is not None
                when = alert.acknowledged_at + resolve_after
            if now < when:
                self.nurse_plans.append(when)
                continue
            async with self.sessions.begin() as session:
                if alert.status is AlertStatus.OPEN:
                    await actions.acknowledge(session, self.catalogue, alert.id, self.nurse, now)
                    self.nurse_plans.append(now + resolve_after)
                else:
                    await actions.resolve(session, alert.id, self.nurse, now, outcome, grade)
                    self.resolved += 1


# Minutes to acknowledge, drawn per alert by tier (synthetic values: about the targets).
ACKNOWLEDGE_MINUTES = {
    "amber": (20, 40, 60, 120, 200, 300),
    "red_urgent": (5, 10, 12, 15, 20, 40),
    "red_emergency": (2, 4, 5, 8),
}
# (outcome, Clavien–Dindo grade) with weights, by what raised the alert (synthetic values).
OUTCOMES: dict[str, tuple[tuple[tuple[str, str], int], ...]] = {
    "rule": (
        (("false_alarm", "none"), 40),
        (("advice_given", "none"), 30),
        (("clinic_visit", "I"), 20),
        (("emergency_department", "II"), 7),
        (("readmitted", "IIIb"), 3),
    ),
}
# Alerts the follow-up raised itself (non-response…): a phone call, mostly.
FOLLOW_UP = ((("advice_given", "none"), 85), (("false_alarm", "none"), 15))
