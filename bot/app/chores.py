"""The running bot's housekeeping: what each tick does besides the schedule (a heartbeat,
a health watch, the audit chain's checkpoint, forgetting unknown accounts) and the daily
jobs (retention, the teams' groups)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.error import TelegramError

from bot.access import strangers
from bot.clock import Clock
from bot.privacy.raw_updates import delete_strangers_before
from bot.privacy.retention import purge
from bot.reports import audit_log
from bot.reports.health import beat, health_report
from bot.settings import Settings
from bot.staff.group_membership import report_removed_members

log = logging.getLogger(__name__)

# Who reads a group: its members, its administrators and its owner.
STILL_MEMBER = frozenset({"member", "administrator", "creator"})
WATCH_EVERY = timedelta(minutes=1)
CHECKPOINT_EVERY = timedelta(minutes=1)
STRANGERS_EVERY = timedelta(minutes=5)


class Chores:
    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        bot: Bot,
        owner: str,
        audit_key: bytes,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._clock = clock
        self._bot = bot
        self.audit_key = audit_key
        self.owner, self.mode, self.started_at = owner, "polling", clock.now()
        self._last: dict[str, datetime] = {}  # when each periodic chore last ran

    async def each_tick(self, *, watch: bool) -> None:
        """The chores of a round (``watch``: log what ``eras health`` would see)."""
        await self.beat()
        if watch and self._due("watch", WATCH_EVERY):
            await self._watch()
        if self._due("checkpoint", CHECKPOINT_EVERY):
            await audit_log.checkpoint(self._sessions, self._clock.now(), self.audit_key)
        if self._due("strangers", STRANGERS_EVERY):
            await self._forget_strangers()

    def _due(self, chore: str, every: timedelta) -> bool:
        now = self._clock.now()
        last = self._last.get(chore)
        if last is not None and now - last < every:
            return False
        self._last[chore] = now
        return True

    async def beat(self) -> None:
        # A second beat at the same instant would write what the first wrote: on a clock
        # that stands still between rounds (the demo's, a test's) rounds run back to back.
        now = self._clock.now()
        if self._last.get("beat") == now:
            return
        await beat(self._sessions, self.owner, self.mode, self.started_at, now)
        self._last["beat"] = now

    async def health(self) -> dict[str, Any]:
        return await health_report(
            self._sessions,
            self._clock.now(),
            self.owner,
            emergency_number=self._settings.emergency_number,
        )

    async def _watch(self) -> None:
        """Say out loud what ``eras health`` would: the claims and leases re-drive stuck
        work by themselves, and this is how an operator hears of it."""
        report = await self.health()
        if report["problems"]:
            log.warning(
                "health: %s (outbox backlog %s, oldest unsent %s s, escalations overdue %s)",
                "; ".join(report["problems"]),
                report["outbox_backlog"],
                report["oldest_unsent_seconds"],
                report["stuck_escalations"],
            )

    async def _forget_strangers(self) -> None:
        """The unknown accounts' counts of closed hours become audit rows, and their raw
        updates older than ERAS_STRANGER_UPDATES_DAYS are deleted."""
        now = self._clock.now()
        keep = timedelta(days=self._settings.stranger_updates_days)
        async with self._sessions.begin() as session:
            await strangers.close_hours(session, now)
            deleted = await delete_strangers_before(session, now - keep)
        if deleted:
            log.info("%s raw updates of unknown accounts deleted", deleted)

    async def screen_strangers(self, updates: list[tuple[int, dict[str, Any]]]) -> set[int]:
        async with self._sessions.begin() as session:
            return await strangers.screen(session, updates, self._clock.now(), self.audit_key)

    async def purge_expired(self) -> None:
        """Retention, daily while ERAS_RETENTION_DAYS is set: what `eras patient purge` does."""
        days = self._settings.retention_days
        if days is None:
            return
        try:
            done = await purge(
                self._sessions,
                self._clock.now(),
                timedelta(days=days),
                actor="system:retention",
                origin="scheduler",
            )
        except Exception:
            log.exception("retention purge failed")
            return
        level = logging.INFO if done.erased else logging.DEBUG
        log.log(level, "retention: %s patients erased", len(done.erased))

    async def check_group_members(self) -> int:
        """Daily: removed staff still in a team's group are reported to its admins."""

        async def is_member(chat_id: int, user_id: int) -> bool | None:
            try:
                member = await self._bot.get_chat_member(chat_id, user_id)
            except TelegramError as error:
                log.info("group membership not known: %s", type(error).__name__)
                return None
            return member.status in STILL_MEMBER or getattr(member, "is_member", False)

        try:
            return await report_removed_members(self._sessions, self._clock.now(), is_member)
        except Exception:
            log.exception("the check of the teams' groups failed")
            return 0
