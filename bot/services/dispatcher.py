"""The dispatcher: wakes on a tick, claims check-ins that are due, and acts on them.

The schedule is rows; this is the only code that moves them through time: send what is
due (late wording after downtime), remind once, and close what was not answered in its
window as missed, which the protocol's non-response rules may turn into an alert.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.services import checkins
from bot.services.alerts import finding_record, raise_alert
from bot.services.catalogue import ProtocolCatalogue
from bot.services.patient_chat import PatientChat
from bot.services.unsent import tell_team_not_sent
from db.claims import claim
from db.models import CheckIn, CheckInStatus, Episode, EpisodeStatus, Patient
from flows import Protocol, score_missed

log = logging.getLogger(__name__)

STOPPED_EPISODES = (EpisodeStatus.PAUSED, EpisodeStatus.DECLINED, EpisodeStatus.WITHDRAWN)
OPEN = (CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.IN_PROGRESS)


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


Step = Callable[[PatientChat, CheckIn, TickReport], Awaitable[None]]


class Dispatcher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogue: ProtocolCatalogue,
        site: checkins.Site,
        clock: Clock,
        owner: str,
        lease: timedelta = timedelta(minutes=2),
        batch: int = 500,
    ) -> None:
        self._sessions = sessions
        self._catalogue = catalogue
        self._site = site
        self._clock = clock
        self._owner = owner
        self._lease = lease
        self._batch = batch

    async def tick(self) -> TickReport:
        report = TickReport()
        now = self._clock.now()
        window_closed = CheckIn.status.in_(OPEN) & (CheckIn.missed_at <= now)
        active = CheckIn.episode_id.in_(
            select(Episode.id).where(Episode.status == EpisodeStatus.ACTIVE)
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
            & CheckIn.reminded_at.is_(None)
            & (CheckIn.missed_at > now)
            & active
        )
        for condition, step in (
            (window_closed, self._close),
            (due, self._send),
            (remind, self._remind),
        ):
            for row_id in await self._claim(condition, now):
                await self._in_transaction(row_id, condition, now, step, report)
        return report

    async def _claim(self, claimable: ColumnElement[bool], now: datetime) -> list[int]:
        free = or_(CheckIn.lease_until.is_(None), CheckIn.lease_until < now)
        async with self._sessions.begin() as session:
            rows = await claim(
                session,
                CheckIn,
                claimable=claimable & free,
                order_by=[CheckIn.due_at, CheckIn.id],
                owner=self._owner,
                now=now,
                lease=self._lease,
                limit=self._batch,
            )
            return [row.id for row in rows]

    async def _in_transaction(
        self,
        row_id: int,
        still: ColumnElement[bool],
        now: datetime,
        step: Step,
        report: TickReport,
    ) -> None:
        """Run ``step`` on the claimed row, locked, if it is still what was claimed: the
        patient may have answered, or started it, since the claim (handlers take no lease)."""
        try:
            async with self._sessions.begin() as session:
                row = await session.scalar(
                    select(CheckIn)
                    .where(CheckIn.id == row_id, CheckIn.lease_owner == self._owner, still)
                    .with_for_update()
                )
                if row is not None:
                    episode = await session.get_one(Episode, row.episode_id)
                    patient = await session.get_one(Patient, episode.patient_id)
                    await step(PatientChat(session, patient, episode, now), row, report)
                await session.execute(
                    update(CheckIn)
                    .where(CheckIn.id == row_id, CheckIn.lease_owner == self._owner)
                    .values(lease_owner=None, lease_until=None)
                    .execution_options(synchronize_session=False)
                )
        except Exception:
            # The lease lapses and another tick tries again; the row id is no patient data.
            log.exception("check-in %s could not be processed", row_id)

    async def _send(self, chat: PatientChat, row: CheckIn, report: TickReport) -> None:
        _version, protocol = await checkins.protocol_of(chat.session, self._catalogue, row)
        if in_quiet_hours(protocol, chat.patient.timezone, chat.now):
            report.deferred += 1  # e.g. a catch-up after downtime: it waits for the morning
            return
        await checkins.begin(chat, self._catalogue, self._site, row)
        report.sent += 1

    async def _remind(self, chat: PatientChat, row: CheckIn, report: TickReport) -> None:
        _version, protocol = await checkins.protocol_of(chat.session, self._catalogue, row)
        if in_quiet_hours(protocol, chat.patient.timezone, chat.now):
            row.reminded_at = chat.now  # a reminder in the night would do more harm than good
            return
        await checkins.remind(chat, self._catalogue, row)
        report.reminded += 1

    async def _close(self, chat: PatientChat, row: CheckIn, report: TickReport) -> None:
        if chat.episode.status in STOPPED_EPISODES:
            row.status = CheckInStatus.CANCELLED
            report.cancelled += 1
            return
        row.status = CheckInStatus.MISSED
        if row.kind not in checkins.PLANNED_KINDS:
            return  # a concern or extra check-in left unfinished is no missed appointment
        if row.sent_at is None:  # the bot's failure, not the patient's: no non-response rule
            await tell_team_not_sent(chat, row)
            report.missed += 1
            return
        version, protocol = await checkins.protocol_of(chat.session, self._catalogue, row)
        past = await checkins.history(chat.session, row)
        assessment = score_missed(protocol, row.pod, past)
        row.tier = assessment.tier.value
        report.missed += 1
        await raise_alert(
            chat.session,
            episode_id=row.episode_id,
            now=chat.now,
            cause="non_response",
            findings=[
                {**finding_record(f, {}), "checkin_id": row.id, "pod": row.pod}
                for f in assessment.findings
            ],
            checkin_id=row.id,
            protocol_version_id=version.id,
        )
