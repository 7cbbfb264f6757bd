"""The dispatcher: wakes on a tick, claims check-ins that are due, and acts on them.

The schedule is rows; this is the only code that moves them through time: send what is
due (late wording after downtime), remind once, and close what was not answered in its
window as missed, which the protocol's non-response rules may turn into an alert.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute

from bot.alerts.raising import raise_alert
from bot.checkins import conversation as checkins
from bot.checkins import history as checkin_history
from bot.checkins.standing import update_standing
from bot.checkins.unsent import tell_team_not_sent
from bot.clock import Clock
from bot.context import PatientChat, Site
from bot.protocols.catalogue import ProtocolCatalogue
from db.claims import claim
from db.models import WINDOW_OPEN, CheckIn, CheckInStatus, Episode, EpisodeStatus, Patient
from db.write_turns import ROUTINE, write_turn
from flows import Protocol, score_missed

log = logging.getLogger(__name__)

STOPPED_EPISODES = (
    EpisodeStatus.PAUSED,
    EpisodeStatus.ON_HOLD,
    EpisodeStatus.DECLINED,
    EpisodeStatus.WITHDRAWN,
)


@dataclass
class TickReport:
    sent: int = 0
    reminded: int = 0
    missed: int = 0
    cancelled: int = 0
    deferred: int = 0
    escalated: int = 0  # alert escalation steps run in the same tick


def in_quiet_hours(protocol: Protocol, time_zone: str, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(time_zone)).time()
    return protocol.schedule.quiet_hours.covers(local)


# A job (close, send, remind) returns True when it put the check-in off (quiet hours): the
# row stays leased until DEFERRED_FOR has passed, so that later claims, in this tick or the
# next ones, reach the check-ins behind it instead of the same put-off rows again and again.
CheckInJob = Callable[[PatientChat, CheckIn, TickReport], Awaitable[bool]]
# A question of the tick: its condition, and the order its rows are taken in.
Claimable = tuple[ColumnElement[bool], tuple[InstrumentedAttribute[Any], ...]]
DEFERRED_FOR = timedelta(minutes=5)


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogue: ProtocolCatalogue,
        site: Site,
        clock: Clock,
        owner: str,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 500,
        on_progress: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._catalogue = catalogue
        self._site = site
        self._clock = clock
        self._owner = owner
        self._lease = lease
        self._batch = batch
        self._on_progress = on_progress  # the sender's cue: messages wait in the outbox

    async def tick(self) -> TickReport:
        report = TickReport()
        now = self._clock.now()
        # Stated as the partial index ix_checkins_open_windows is, and read in its order:
        # the oldest closed window first.
        window_closed = and_(WINDOW_OPEN, CheckIn.missed_at <= now)
        # Asked of each candidate row, not as a list of every active episode: a tick with
        # nothing due then costs nothing, however many patients are followed.
        active = exists().where(
            Episode.id == CheckIn.episode_id, Episode.status == EpisodeStatus.ACTIVE
        )
        due = (
            (CheckIn.status == CheckInStatus.SCHEDULED)
            & (CheckIn.due_at <= now)
            & (CheckIn.missed_at > now)
            & active
        )
        remind = (
            CheckIn.status.in_([CheckInStatus.SENT, CheckInStatus.IN_PROGRESS])
            & (CheckIn.remind_at <= now)
            & CheckIn.reminded_at.is_(None)  # ix_checkins_reminder_due holds only these rows
            & (CheckIn.missed_at > now)
            & active
        )
        by_window = (CheckIn.missed_at, CheckIn.id)
        by_due = (CheckIn.due_at, CheckIn.id)
        jobs = (
            (window_closed, by_window, self._close),
            (due, by_due, self._send),
            (remind, by_due, self._remind),
        )
        # One batch of each a tick: 500 check-ins every five seconds is many times what
        # Telegram lets out (30 messages a second); a bigger tick only holds more work.
        # Claimed in one transaction: with nothing due, a tick is three reads in it.
        claimed = await self._claim([(condition, order) for condition, order, _ in jobs], now)
        for (condition, _, job), row_ids in zip(jobs, claimed, strict=True):
            for row_id in row_ids:
                await self._in_transaction(row_id, condition, now, job, report)
                # Each committed check-in's messages may go now, not after the whole batch:
                # a burst of 500 would otherwise reach the sender seconds late.
                self._on_progress()
        return report

    async def _claim(self, conditions: list[Claimable], now: datetime) -> list[list[int]]:
        """A batch of the check-ins meeting each condition, in its order (the conditions
        are disjoint)."""
        free = or_(CheckIn.lease_until.is_(None), CheckIn.lease_until < now)
        # Most ticks find nothing to do: reads say so without the claim's transaction (on
        # SQLite a write, which waits its turn behind the patients' replies). One read a
        # condition, each over the index the claim's own would use.
        async with self._sessions() as session:
            for condition, order in conditions:
                look = select(CheckIn.id).where(condition & free).order_by(*order)
                if await session.scalar(look.limit(1)) is not None:
                    break
            else:
                return [[] for _ in conditions]
        async with write_turn(self._sessions, ROUTINE), self._sessions.begin() as session:
            batches = []
            for condition, order in conditions:
                rows = await claim(
                    session,
                    CheckIn,
                    claimable=condition & free,
                    order_by=order,
                    owner=self._owner,
                    now=now,
                    lease=self._lease,
                    limit=self._batch,
                )
                batches.append([row.id for row in rows])
            return batches

    async def _in_transaction(
        self,
        row_id: int,
        still: ColumnElement[bool],
        now: datetime,
        job: CheckInJob,
        report: TickReport,
    ) -> None:
        """Run ``job`` on the claimed row, locked, if it is still what was claimed: the
        patient may have answered, or started it, since the claim (handlers take no lease)."""
        try:
            async with write_turn(self._sessions, ROUTINE), self._sessions.begin() as session:
                row = await session.scalar(
                    select(CheckIn)
                    .where(CheckIn.id == row_id, CheckIn.lease_owner == self._owner, still)
                    .with_for_update()
                )
                deferred = False
                if row is not None:
                    episode = await session.get_one(Episode, row.episode_id)
                    patient = await session.get_one(Patient, episode.patient_id)
                    chat = PatientChat(session, patient, episode, now)
                    deferred = await job(chat, row, report)
                lease = {"lease_until": now + DEFERRED_FOR} if deferred else {}
                await session.execute(
                    update(CheckIn)
                    .where(CheckIn.id == row_id, CheckIn.lease_owner == self._owner)
                    .values({"lease_owner": None, "lease_until": None} | lease)
                    .execution_options(synchronize_session=False)
                )
        except Exception:
            # The lease lapses and another tick tries again; the row id is no patient data.
            log.exception("check-in %s could not be processed", row_id)

    async def _send(self, chat: PatientChat, row: CheckIn, report: TickReport) -> bool:
        protocol = await checkin_history.protocol_of(chat.session, self._catalogue, row)
        if in_quiet_hours(protocol, chat.patient.timezone, chat.now):
            report.deferred += 1  # e.g. a catch-up after downtime: it waits for the morning
            return True
        await checkins.begin(chat, self._catalogue, self._site, row)
        report.sent += 1
        return False

    async def _remind(self, chat: PatientChat, row: CheckIn, report: TickReport) -> bool:
        protocol = await checkin_history.protocol_of(chat.session, self._catalogue, row)
        if in_quiet_hours(protocol, chat.patient.timezone, chat.now):
            row.reminded_at = chat.now  # a reminder in the night would do more harm than good
            return False
        await checkins.remind(chat, self._catalogue, row)
        report.reminded += 1
        return False

    async def _close(self, chat: PatientChat, row: CheckIn, report: TickReport) -> bool:
        if chat.episode.status in STOPPED_EPISODES:
            row.status = CheckInStatus.CANCELLED
            report.cancelled += 1
            return False
        row.status = CheckInStatus.MISSED
        await update_standing(chat.session, row.episode_id)
        if row.kind not in checkin_history.PLANNED_KINDS:
            return False  # a concern or extra check-in left unfinished: no missed appointment
        if row.sent_at is None:  # the bot's failure, not the patient's: no non-response rule
            await tell_team_not_sent(chat, row)
            report.missed += 1
            return False
        protocol = await checkin_history.protocol_of(chat.session, self._catalogue, row)
        past = await checkin_history.history(chat.session, row)
        assessment = score_missed(protocol, row.pod, past, row.kind.value)
        row.tier = assessment.tier
        report.missed += 1
        await raise_alert(
            chat.session,
            episode_id=row.episode_id,
            now=chat.now,
            cause="non_response",
            findings=[replace(f, checkin_id=row.id) for f in assessment.findings],
            checkin_id=row.id,
            protocol_version_id=row.protocol_version_id,
        )
        return False
