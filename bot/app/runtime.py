"""The running bot: inbox, handlers, dispatcher and outbox, wired together.

``step()`` does one round of everything, which tests and the demo drive with a fake clock;
``run()`` does the same for real: long polling, an APScheduler tick for the dispatcher and
a sender that wakes as soon as a handler commits a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop
from telegram.request import HTTPXRequest

from bot.alerts.actions import remember_card
from bot.alerts.escalation import Escalator
from bot.app.chores import Chores
from bot.app.starting import log_handler_error, until_telegram_answers
from bot.checkins.dispatcher import Dispatcher, TickReport
from bot.clock import Clock, SystemClock
from bot.context import Services, Site
from bot.delivery.files import TelegramFiles
from bot.delivery.pacing import Pacer
from bot.delivery.sender import IN_FLIGHT, FatalDeliveryError, OutboxSender
from bot.delivery.settling import DeliveryHooks
from bot.inbox.updates import ALLOWED_UPDATES, InboxProcessor, Poller, PollingStopped
from bot.inbox.webhook import WebhookInbox, webhook_path
from bot.patients.course.unreachable import mark_unreachable
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import load_protocols
from bot.reports.daily_digest import DailyDigest
from bot.settings import Settings
from bot.telegram.handlers.care_team import add_care_team_handlers
from bot.telegram.handlers.correspondence import add_correspondence_handlers
from bot.telegram.handlers.fallback import add_fallback_handler
from bot.telegram.handlers.patient import add_patient_handlers, add_unknown_command_handler
from bot.web.app import console_app
from bot.web.console import Console
from bot.web.http.server import ConsoleServer
from db.engine import create_engine, session_factory
from db.locks import POLLING_LOCK, exclusive

log = logging.getLogger(__name__)

TICK_SECONDS = 5
Done = TypeVar("Done")  # what a loop's round returns
# After a round of polling or sending failed on the database, before the next one.
ROUND_AGAIN_SECONDS = 1.0
COMMANDS = [
    ("help", "I have a concern"),
    ("checkin", "Start today's check-in"),
    ("status", "My progress"),
    ("language", "Change language"),
    ("timezone", "Change time zone"),
    ("stop", "Pause the follow-up"),
    ("caregiver", "Add or remove a caregiver"),
]

# Connections to Telegram for everything but getUpdates: the sender's requests in flight
# and a few for the handlers' own calls. One pool, shared; more would only lengthen the
# list of idle connections the HTTP client looks through on every request.
CONNECTIONS = IN_FLIGHT + 8


@dataclass
class StepReport:
    updates: int
    tick: TickReport
    sent: int


class BotRuntime:
    def __init__(
        self,
        settings: Settings,
        clock: Clock | None = None,
        *,
        poll_timeout: int = 30,
        pacer: Pacer | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport``: how requests reach Telegram (default: the network; a test's
        in-process sandbox otherwise)."""
        self.settings = settings
        self.clock = clock or SystemClock()
        token = settings.require_token()
        self.engine = create_engine(settings.database_url)
        self.sessions = session_factory(self.engine, settings.session_info())
        self.catalogue = ProtocolCatalogue(load_protocols(settings.protocols_dir))
        self._wake = asyncio.Event()
        owner = f"{socket.gethostname()}:{os.getpid()}"
        builder = (
            Application.builder()
            .token(token)
            .base_url(settings.bot_api_base_url)
            .base_file_url(settings.bot_file_base_url)
            .updater(None)
            .job_queue(None)  # the bot schedules its own rounds (run)
        )
        if transport is None:
            builder = builder.connection_pool_size(CONNECTIONS)
        else:
            on = {"transport": transport}
            builder = builder.request(HTTPXRequest(CONNECTIONS, httpx_kwargs=on))
            builder = builder.get_updates_request(HTTPXRequest(httpx_kwargs=on))
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        add_patient_handlers(self.application)
        add_care_team_handlers(self.application)
        add_correspondence_handlers(self.application)
        add_unknown_command_handler(self.application)
        add_fallback_handler(self.application)
        self.application.add_error_handler(log_handler_error)
        site = Site(
            emergency_number=settings.require_emergency_number(),
            console_url=settings.console_url,
            bot_username=settings.bot_username,
        )
        self.services = Services(self.sessions, self.catalogue, site, self.clock, self._wake.set)
        # The photos and voice messages patients sent, fetched for the console.
        self.files = TelegramFiles(self.application.bot, transport)
        self.application.bot_data["services"] = self.services
        self.poller = Poller(
            self.sessions,
            f"{settings.bot_api_base_url}{token}",
            self.clock,
            poll_timeout,
            transport,
        )
        self.audit_key = settings.require_audit_key()
        self.chores = Chores(
            settings, self.sessions, self.clock, self.application.bot, owner, self.audit_key
        )
        self.inbox = InboxProcessor(
            self.sessions, self.application, self.clock, screen=self.chores.screen_strangers
        )

        async def retry_later(update: object, _context: Any) -> None:
            if isinstance(update, Update):
                self.inbox.handler_failed(update.update_id)
            # No later handler group may take the update now (the fallback would mark it
            # done): it goes back to the inbox whole, for the next round.
            raise ApplicationHandlerStop

        self.application.add_error_handler(retry_later)
        self.dispatcher = Dispatcher(
            self.sessions, self.catalogue, site, self.clock, owner, on_progress=self._wake.set
        )
        self.escalator = Escalator(self.sessions, self.catalogue, self.clock)
        self.daily_digest = DailyDigest(self.sessions, self.catalogue, self.clock)
        self.owner = owner
        self.sender = OutboxSender(
            self.sessions,
            self.application.bot,
            self.clock,
            owner,
            pacer=pacer,
            hooks=DeliveryHooks(delivered=[remember_card], unreachable=[mark_unreachable]),
        )

    async def start(self) -> None:
        await until_telegram_answers(self.application.initialize, self.clock)  # getMe
        if self.services.site.bot_username is None:  # the console's enrolment links need it
            site = replace(self.services.site, bot_username=self.application.bot.username)
            self.services.site = site
        await self.application.start()
        try:
            await self.application.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
        except TelegramError as error:
            # The menu is a convenience (and usually set by an earlier start): no reason
            # to leave patients without their check-ins.
            log.warning("the menu of commands was not set: %s", type(error).__name__)

    async def stop(self) -> None:
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        await self.poller.close()
        await self.engine.dispose()

    async def step(self, wait_seconds: int = 0) -> StepReport:
        """One round: fetch and handle updates, run the dispatcher, send what is due."""
        await self.poller.poll_once(wait_seconds)
        updates = await self.inbox.process_pending()
        tick = await self.dispatcher.tick()
        tick.escalated = await self.escalator.tick()
        await self.daily_digest.tick()
        await self.chores.each_tick(watch=False)
        sent = 0
        while batch := await self.sender.deliver_due():
            sent += batch
        return StepReport(updates, tick, sent)

    async def run(self, *, webhook: bool = False) -> None:
        """Run until cancelled: long polling, or (``webhook``) receiving Telegram's posts;
        the console (and in webhook mode the webhook) on ERAS_HTTP_LISTEN either way."""
        stored = asyncio.Event()  # webhook mode: an update was stored
        server = await self._serve_console(stored if webhook else None)
        scheduler = AsyncIOScheduler()
        scheduler.add_job(
            self._tick, "interval", seconds=TICK_SECONDS, max_instances=1, coalesce=True
        )
        scheduler.add_job(
            self.chores.check_group_members, "interval", days=1, next_run_time=datetime.now(UTC)
        )
        if self.settings.retention_days is not None:
            scheduler.add_job(
                self.chores.purge_expired, "interval", days=1, next_run_time=datetime.now(UTC)
            )
        scheduler.start()
        receiving = self._receive_forever(stored) if webhook else self._poll_forever()
        try:
            await asyncio.gather(receiving, self._send_forever())
        finally:
            scheduler.shutdown(wait=False)
            if server is not None:
                await server.stop()

    async def _serve_console(self, stored: asyncio.Event | None) -> ConsoleServer | None:
        """Start the HTTP server: the console, /health and, in webhook mode (``stored``),
        Telegram's posts. In polling mode a console that cannot listen is logged and the
        bot goes on without it: patients' check-ins do not wait for a web page."""
        inbox = path = None
        if stored is not None:
            url, secret = self.settings.require_webhook()
            inbox = WebhookInbox(self.sessions, self.clock, secret, stored.set)
            path = webhook_path(url)
        console = Console(
            self.services,
            self.settings.console_url,
            self.health,
            inbox,
            path,
            health_token=self.settings.health_secret,
            audit_key=self.audit_key,
            telegram_login_token=self.settings.telegram_login_token(),
            files=self.files,
        )
        server = ConsoleServer(console_app(console), self.settings.listen)
        try:
            await server.start()
        except OSError as error:
            if stored is not None:
                raise
            log.error(
                "the console cannot listen on %s (%s); the bot runs without it",
                self.settings.listen,
                error.strerror or type(error).__name__,
            )
            return None
        log.info("console listening on %s", self.settings.listen)
        return server

    async def _tick(self) -> None:
        try:
            report = await self.dispatcher.tick()
            report.escalated = await self.escalator.tick()
            digests = await self.daily_digest.tick()
            await self.chores.each_tick(watch=True)
            if report.escalated or digests:  # the dispatcher wakes the sender itself
                self._wake.set()
            if done := _what_was_done(report, digests):
                log.info("round: %s", done)  # an idle round says nothing
        except asyncio.CancelledError:
            # The bot is stopping mid-tick: its claims lapse and the next start goes on.
            # (The scheduler would log a cancelled job as an error with its traceback.)
            log.info("tick stopped with the bot")
        except Exception:
            log.exception("dispatcher tick failed")

    async def health(self) -> dict[str, Any]:
        return await self.chores.health()

    async def _receive_forever(self, stored: asyncio.Event) -> None:
        """Webhook mode: Telegram is told where to post (with the secret it must send
        back); each stored update wakes the inbox, which also retries what failed."""
        url, secret = self.settings.require_webhook()
        self.chores.mode = "webhook"
        await self.application.bot.set_webhook(
            url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES)
        )
        while True:
            try:
                async with asyncio.timeout(TICK_SECONDS):
                    await stored.wait()
            except TimeoutError:
                pass
            stored.clear()
            await self._survive("processing the inbox", self.inbox.process_pending)

    async def _poll_forever(self) -> None:
        def waiting() -> None:
            log.warning("another process is polling this bot; waiting to take over")

        async with exclusive(self.engine, POLLING_LOCK, waiting):
            log.info("polling for updates")
            stored = asyncio.Event()

            async def fetch() -> None:
                # Storing is all that confirming needs: fetching goes on while updates are
                # handled, so a patient's update is not left at Telegram behind a flood.
                while True:
                    if await self._survive("polling", self.poller.poll_once):
                        stored.set()

            async def handle() -> None:
                # First what a process before this one stored and never handled (it died,
                # and Telegram will not send those updates again), then what comes in.
                while True:
                    if await self._survive("processing the inbox", self.inbox.process_batch):
                        continue
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(TICK_SECONDS):
                            await stored.wait()
                    stored.clear()

            await _until_one_fails(fetch(), handle())

    async def _send_forever(self) -> None:
        attempted: int | None = 0
        while True:
            if (attempted or 0) < self.sender.round_size:  # full: more is waiting, no pause
                # Until new messages are written, or a chat left out of the round may go
                # (in the pacer's time, the clock's).
                await self._woken_or_after(min(1.0, self.sender.next_ready_in or 1.0))
            self._wake.clear()
            attempted = await self._survive("sending", self.sender.deliver_due)

    async def _woken_or_after(self, seconds: float) -> None:
        woken = asyncio.ensure_future(self._wake.wait())
        pause = asyncio.ensure_future(self.clock.sleep(seconds))
        try:
            await asyncio.wait([woken, pause], return_when=asyncio.FIRST_COMPLETED)
        finally:
            woken.cancel()
            pause.cancel()

    @staticmethod
    async def _survive(what: str, step: Callable[[], Awaitable[Done]]) -> Done | None:
        """Run one round of a loop that must outlive a database briefly unavailable (locked,
        restarting, a dropped connection): the work waits in the tables and the next round
        takes it up. A bot that cannot work at all (token refused, another poller) stops."""
        try:
            return await step()
        except (PollingStopped, FatalDeliveryError):
            raise
        except Exception as error:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the bot is stopping, and the cancellation surfaced as this error
            # The type only: a database error's text may quote what a patient wrote.
            log.warning("%s failed, trying again: %s", what, type(error).__name__)
            await asyncio.sleep(ROUND_AGAIN_SECONDS)
            return None


async def _until_one_fails(*loops: Awaitable[None]) -> None:
    """Run loops that end only by failing; the first failure stops the others."""
    tasks = [asyncio.ensure_future(loop) for loop in loops]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _what_was_done(report: TickReport, digests: int) -> str:
    """A round's work in counts (nothing about anyone); empty when it did nothing."""
    counts = (
        (report.sent, "check-ins sent"),
        (report.reminded, "reminded"),
        (report.missed, "missed"),
        (report.cancelled, "cancelled"),
        (report.escalated, "escalation steps"),
        (digests, "digests queued"),
    )
    return ", ".join(f"{count} {what}" for count, what in counts if count)
