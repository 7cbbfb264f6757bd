"""The daily digest in each team's chat, at 08:00 team-local time.

Run on every runtime tick. From 08:00 in a team's time zone, today's digest is written to
the outbox under the key ``digest:{team}:{local date}``. The key is unique: a later tick,
a second process or a re-run after a crash finds it taken and adds nothing.

A digest is the morning's overview, so it goes out only until 12:00 local. After downtime
that ends later, that day has no digest (nor is a past day's sent late): by then the team
is at work, and ``/digest`` shows the same view on demand.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.delivery.outbox import enqueue
from bot.protocols.catalogue import ProtocolCatalogue
from bot.reports.digest import team_digest
from bot.reports.doctor.findings import Misconfiguration
from bot.reports.doctor.setup import team_findings
from bot.settings import TELEGRAM_LOGIN_URL
from bot.telegram.render.digest import digest_text
from bot.telegram.render.patient import keyboard, message
from bot.telegram.render.team import console_button
from db.audit import append
from db.models import OutboxMessage, Team

log = logging.getLogger(__name__)

SEND_FROM = time(8, 0)
SEND_UNTIL = time(12, 0)


def digest_day(now: datetime, time_zone: str) -> date | None:
    """The team-local date whose digest may go out at ``now``; None outside the morning."""
    local = now.astimezone(ZoneInfo(time_zone))
    return local.date() if SEND_FROM <= local.time() < SEND_UNTIL else None


def dedupe_key(team_id: int, day: date) -> str:
    return f"digest:{team_id}:{day.isoformat()}"


def setup_line(findings: list[Misconfiguration]) -> str | None:
    """One line telling the team that its setup needs an admin, or None when it does not."""
    if not findings:
        return None
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return f"⚠ Setup to fix{more}: {findings[0].text} An admin sees all with `eras doctor`."


class DailyDigest:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalogue: ProtocolCatalogue,
        clock: Clock,
    ) -> None:
        self._sessions = sessions
        self._catalogue = catalogue
        self._clock = clock

    async def tick(self) -> int:
        """Queue the digest of every team whose morning it is and has none yet; how many."""
        now = self._clock.now()
        async with self._sessions() as session:
            teams = (
                await session.execute(
                    select(Team.id, Team.timezone).where(Team.chat_id.is_not(None))
                )
            ).all()
        queued = 0
        for team_id, time_zone in teams:
            try:
                day = digest_day(now, time_zone)
                if day is not None:
                    queued += await self._queue(team_id, day, now)
            except IntegrityError:
                pass  # another process queued it between our check and our insert
            except Exception as error:
                # One team's trouble (say, a time zone the system lacks) stops no other
                # team's digest. The message is not logged: it may quote the rows.
                log.error("team %s: daily digest failed with %s", team_id, type(error).__name__)
        return queued

    async def _queue(self, team_id: int, day: date, now: datetime) -> int:
        key = dedupe_key(team_id, day)
        async with self._sessions.begin() as session:
            taken = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
            if await session.scalar(taken) is not None:
                return 0
            team = await session.get_one(Team, team_id)
            if team.chat_id is None:
                return 0
            digest = await team_digest(session, self._catalogue, team, now)
            login_url = session.info.get(TELEGRAM_LOGIN_URL)
            text = digest_text(digest, "Daily digest")
            if line := setup_line(await team_findings(session, team)):
                text += "\n\n" + line
            enqueue(
                session,
                chat_id=team.chat_id,
                now=now,
                purpose="digest",
                payload=message(text, keyboard([[console_button(team_id, login_url)]])),
                dedupe_key=key,
            )
            await append(
                session,
                at=now,
                actor_kind="system",
                actor_ref="daily_digest",
                action="digest.post",
                origin="scheduler",
                detail={"team": team_id, "day": day.isoformat(), "patients": digest.patients},
            )
        log.debug("team %s: daily digest for %s queued", team_id, day.isoformat())
        return 1
