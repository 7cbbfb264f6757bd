"""The dispatcher: wakes on a tick, claims check-ins that are due, and acts on them.

The schedule is rows; this is the only code that moves them through time: send what is
due (late wording after downtime), remind once, and close what was not answered in its
window as missed, which the protocol's non-response rules may turn into an alert.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
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
        chunk: int = 50,
        max_seconds: float = 4.0,
    ) -> None:
        self._sessions = sessions
        self._catalogue = catalogue
        self._site = site
        self._clock = clock
        self._owner = owner
        self._lease = lease
        self._batch = batch
        self._chunk = chunk  # check-ins done in one transaction
        self._max_seconds = max_seconds

    async def tick(self) -> TickReport:
        """Close, send and remind what is due, a batch at a time, until none is left (or
        ``max_seconds`` passed: escalations wait for the tick to end)."""
        report = TickReport()
        now = self._clock.now()
        until = time.monotonic() + self._max_seconds
        free = or_(CheckIn.lease_until.is_(None), CheckIn.lease_until < now)
        window_closed = (
            CheckIn.status.in_(
                [CheckInStatus.SCHEDULED, CheckInStatus.SENT, CheckInStatus.IN_PROGRESS]
            )
            & (CheckIn.missed_at <= now)
            & free
        )
        active = CheckIn.episode_id.in_(
            select(Episode.id).where(Episode.status == EpisodeStatus.ACTIVE)
        )
        due = (
            (CheckIn.status == CheckInStatus.SCHEDULED)
            & (CheckIn.due_at <= now)
            & (CheckIn.missed_at > now)
            & active
            & free
        )
        remind = (
            CheckIn.status.in_([CheckInStatus.SENT, CheckInStatus.IN_PROGRESS])
            & (CheckIn.remind_at <= now)
            & CheckIn.reminded_at.is_(None)
            & (CheckIn.missed_at > now)
            & active
            & free
        )
        for claimable, step in (
            (window_closed, self._close),
            (due, self._send),
            (remind, self._remind),
        ):
            seen: set[int] = set()
            while time.monotonic() < until:
                ids = await self._claim(claimable, now)
                fresh = [row_id for row_id in ids if row_id not in seen]
                await self._release([row_id for row_id in ids if row_id in seen])
                for chunk in _chunks(fresh, self._chunk):
                    await self._in_one_transaction(chunk, now, step, report)
                seen.update(fresh)
                # A short batch was all there was; one of only rows already seen means the
                # rest are waiting (quiet hours) where they stand.
                if len(ids) < self._batch or not fresh:
                    break
        return report

    async def _claim(self, claimable: ColumnElement[bool], now: datetime) -> list[int]:
        async with self._sessions.begin() as session:
            rows = await claim(
                session,
                CheckIn,
                claimable=claimable,
                order_by=[CheckIn.due_at, CheckIn.id],
                owner=self._owner,
                now=now,
                lease=self._lease,
                limit=self._batch,
            )
            return [row.id for row in rows]

    async def _release(self, row_ids: list[int]) -> None:
        """Rows claimed again in this tick and left as they are: free for the next one."""
        if row_ids:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(CheckIn)
                    .where(CheckIn.id.in_(row_ids), CheckIn.lease_owner == self._owner)
                    .values(lease_owner=None, lease_until=None)
                )

    async def _in_one_transaction(
        self, row_ids: list[int], now: datetime, step: Step, report: TickReport
    ) -> None:
        """Several check-ins in one transaction, their rows read together: a round trip to
        the database per batch rather than several per check-in. If one of them fails, the
        batch is undone and each is done again on its own, so that one cannot stop the rest.
        """
        counted = replace(report)
        try:
            async with self._sessions.begin() as session:
                rows = await _read(session, row_ids)
                for row, episode, patient in rows:
                    await step(PatientChat(session, patient, episode, now), row, counted)
                    row.lease_owner = row.lease_until = None
        except Exception:
            if len(row_ids) == 1:
                # The lease lapses and another tick tries again; the id is no patient data.
                log.exception("check-in %s could not be processed", row_ids[0])
                return
            for row_id in row_ids:
                await self._in_one_transaction([row_id], now, step, report)
            return
        for name in ("sent", "reminded", "missed", "cancelled", "deferred"):
            setattr(report, name, getattr(counted, name))

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


async def _read(
    session: AsyncSession, row_ids: list[int]
) -> list[tuple[CheckIn, Episode, Patient]]:
    """The check-ins with their episodes and patients, in the order given."""
    rows = {
        row.id: row for row in await session.scalars(select(CheckIn).where(CheckIn.id.in_(row_ids)))
    }
    episode_ids = {row.episode_id for row in rows.values()}
    episodes = {
        e.id: e for e in await session.scalars(select(Episode).where(Episode.id.in_(episode_ids)))
    }
    patient_ids = {episode.patient_id for episode in episodes.values()}
    patients = {
        p.id: p for p in await session.scalars(select(Patient).where(Patient.id.in_(patient_ids)))
    }
    found = []
    for row_id in row_ids:
        row = rows[row_id]
        episode = episodes[row.episode_id]
        found.append((row, episode, patients[episode.patient_id]))
    return found


def _chunks(items: list[int], size: int) -> list[list[int]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
