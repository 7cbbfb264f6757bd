"""One chaos run, start to end: set up, link, compress, break things, settle, reconcile."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.protocols.sources import load_protocols
from bot.sandbox.serving.client import SandboxClient
from tests.chaos.answers import Questionnaire
from tests.chaos.calls import CallFollower
from tests.chaos.cohort import (
    PROTOCOL,
    ChaosDatabase,
    PlannedCheckIn,
    Timing,
    compress_schedule,
    consented,
    enrol_patients,
    set_up_wards,
)
from tests.chaos.faults import FaultInjector
from tests.chaos.patients import ScriptedPatient, Window
from tests.chaos.processes import BotLife, BotProcess, SandboxProcess
from tests.chaos.reconcile import Figures, Ledgers, reconcile
from tests.chaos.records import read_database, read_progress

MAX_DOWN_SECONDS = 3.0  # how long the bot stays dead after a kill, at most
QUIET_SECONDS = 10.0  # nothing happening for this long, with all work done: settled
LINK_CONCURRENCY = 50


@dataclass(frozen=True)
class ChaosConfig:
    postgres_url: str  # a server the harness may create (and drop) a database on
    patients: int = 20
    kills: int = 3
    fault_rate: float = 0.05  # share of Bot API calls answered with a fault
    seed: int = 0
    spread: float | None = None  # seconds over which check-ins fall due (default: by size)
    window: float | None = None  # seconds from due to missed (default: by size)
    quiet_timeout: float = 600.0
    keep_database: bool = False
    log_dir: Path | None = None

    def timing(self) -> Timing:
        # About 14 messages per check-in, and Telegram allows 30 a second overall.
        spread = self.spread if self.spread is not None else max(30.0, 0.7 * self.patients)
        window = self.window if self.window is not None else 120.0 + 0.2 * self.patients
        return Timing(first_due=5.0, spread=spread, remind_after=window / 2, window=window)


@dataclass
class ChaosResult:
    config: ChaosConfig
    figures: Figures
    bot: BotLife
    faults_added: int
    settled: bool  # everything finished within the quiet period
    bot_exit: int | None  # the last bot's exit code when stopped with SIGINT
    seconds: float
    log_dir: Path
    phases: dict[str, float] = field(default_factory=dict)  # seconds each phase took
    kept_database: str | None = None  # its name, when asked to keep it

    def failures(self) -> list[str]:
        found = self.figures.failures()
        if not self.settled:
            found.append("the run did not settle within the quiet period")
        if self.bot.crashes:
            found.append(f"the bot died by itself {len(self.bot.crashes)} times")
        if self.bot_exit not in (0, None):
            found.append(f"the bot exited with {self.bot_exit} when asked to stop")
        return found

    def to_json(self) -> dict[str, Any]:
        config = {k: v for k, v in asdict(self.config).items() if k != "postgres_url"}
        config["log_dir"] = str(config["log_dir"]) if config["log_dir"] else None
        return {
            "config": config,
            "timing": asdict(self.config.timing()),
            "seconds": round(self.seconds, 1),
            "phases": {k: round(v, 1) for k, v in self.phases.items()},
            "bot": asdict(self.bot),
            "faults_added": self.faults_added,
            "settled": self.settled,
            "bot_exit": self.bot_exit,
            "figures": self.figures.to_json(),
            "failures": self.failures(),
        }


class ChaosRun:
    def __init__(self, config: ChaosConfig, say: Callable[[str], None]) -> None:
        self.config = config
        self.say = say
        self.rng = random.Random(config.seed)
        self.log_dir = config.log_dir or Path(tempfile.mkdtemp(prefix="eras-chaos-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.database = ChaosDatabase(config.postgres_url)
        self.phases: dict[str, float] = {}
        self._lock = asyncio.Lock()  # the killer and the supervisor take turns
        self._tasks: list[asyncio.Task[Any]] = []
        self._bot: BotProcess | None = None

    async def run(self) -> ChaosResult:
        began = time.monotonic()
        await self.database.create()
        with (self.log_dir / "sandbox.log").open("ab") as sandbox_log:
            sandbox = SandboxProcess(sandbox_log)
            try:
                await sandbox.start()
                async with SandboxClient(sandbox.url) as client:
                    return await self._run(sandbox, client, began)
            finally:
                for task in self._tasks:
                    task.cancel()
                await asyncio.gather(*self._tasks, return_exceptions=True)
                if self._bot is not None:
                    await self._bot.kill()  # still running only when the run went wrong
                await sandbox.stop()
                if not self.config.keep_database:
                    await self.database.drop()

    def _spawn(self, work: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(work)
        self._tasks.append(task)
        return task

    def _phase(self, name: str, since: float) -> float:
        now = time.monotonic()
        self.phases[name] = now - since
        return now

    async def _run(
        self, sandbox: SandboxProcess, client: SandboxClient, began: float
    ) -> ChaosResult:
        config, url = self.config, self.database.url
        await client.enforce_limits(True)  # Telegram's own flood control, all along
        follower = CallFollower(client)
        self._spawn(follower.run())
        wards = await set_up_wards(url, client, config.patients)
        seats = await enrol_patients(url, client, wards, config.patients, self.rng)
        questionnaire = Questionnaire.of(load_protocols(None)[PROTOCOL].protocol)
        patients = [
            ScriptedPatient(seat, client, follower, questionnaire, random.Random(self.rng.random()))
            for seat in seats
        ]
        bot = BotProcess(
            {
                "ERAS_DATABASE_URL": url,
                "ERAS_TELEGRAM_TOKEN": sandbox.token,
                "ERAS_TELEGRAM_API_URL": sandbox.url,
                "ERAS_EMERGENCY_NUMBER": "112",
                "ERAS_AUDIT_KEY": "test-audit-key-of-at-least-32-characters",
                "ERAS_LOG_LEVEL": "WARNING",
            },
            self.log_dir / "bot.log",
        )
        self._bot = bot
        await bot.start()
        mark = self._phase("set_up", began)
        self.say(f"{config.patients} patients enrolled; linking them through the bot")
        await self._link(patients, url)
        mark = self._phase("link", mark)

        start = datetime.now(UTC)
        timing = config.timing()
        plan = await compress_schedule(url, seats, wards, timing, start)
        chaos_seconds = (plan[-1].missed_at - start).total_seconds() + 30.0
        self.say(
            f"{len(plan)} check-ins due over {timing.spread:.0f}s; "
            f"{config.kills} kills and faults for {chaos_seconds:.0f}s"
        )
        for patient, planned in self._by_patient(patients, plan):
            window = Window(planned.checkin_id, planned.remind_at, planned.missed_at)
            self._spawn(patient.follow(window))
        injector = FaultInjector(
            client, follower, config.fault_rate, self.rng, [s.chat_id for s in seats]
        )
        injecting = self._spawn(injector.run())
        self._spawn(self._supervise(bot))
        await self._kill_at_random(bot, chaos_seconds)
        injecting.cancel()
        await injector.stop()
        mark = self._phase("chaos", mark)

        self.say("faults off, no more kills: waiting for everything to settle")
        settled = await self._settle(url, plan, patients, follower)
        mark = self._phase("quiet", mark)
        for task in self._tasks:
            task.cancel()
        async with self._lock:
            bot_exit = await bot.stop()
        await follower.catch_up()
        record = await read_database(url)
        ledgers = Ledgers(
            plan=plan,
            database=record,
            calls=follower.calls,
            given=[a for p in patients for a in p.answers],
            given_again=sum(p.duplicates_sent for p in patients),
            red_flags={s.episode_id: s.red_flag for s in seats if s.red_flag},
            questionnaire=questionnaire,
        )
        figures = reconcile(ledgers)
        self._phase("reconcile", mark)
        return ChaosResult(
            config=config,
            figures=figures,
            bot=bot.life,
            faults_added=injector.added,
            settled=settled,
            bot_exit=bot_exit,
            seconds=time.monotonic() - began,
            log_dir=self.log_dir,
            phases=self.phases,
            kept_database=self.database.name if config.keep_database else None,
        )

    async def _link(self, patients: list[ScriptedPatient], url: str) -> None:
        """Every patient opens their link and consents, through the running bot."""
        slots = asyncio.Semaphore(LINK_CONCURRENCY)

        async def link(patient: ScriptedPatient) -> None:
            async with slots:
                await patient.link()

        async with asyncio.timeout(120 + len(patients)):
            await asyncio.gather(*(link(p) for p in patients))
            while True:  # the last consent may still be on its way through the bot
                if await consented(url) == len(patients):
                    return
                await asyncio.sleep(1)

    @staticmethod
    def _by_patient(
        patients: list[ScriptedPatient], plan: list[PlannedCheckIn]
    ) -> list[tuple[ScriptedPatient, PlannedCheckIn]]:
        by_episode = {p.episode_id: p for p in plan}
        return [(patient, by_episode[patient.seat.episode_id]) for patient in patients]

    async def _kill_at_random(self, bot: BotProcess, seconds: float) -> None:
        """SIGKILL at ``kills`` random moments of the next ``seconds``, each followed by a
        restart after a short, random time down."""
        start = time.monotonic()
        for at in sorted(self.rng.uniform(0, seconds) for _ in range(self.config.kills)):
            await asyncio.sleep(max(0.0, start + at - time.monotonic()))
            async with self._lock:
                await bot.kill()
                await asyncio.sleep(self.rng.uniform(0, MAX_DOWN_SECONDS))
                await bot.start()
        await asyncio.sleep(max(0.0, start + seconds - time.monotonic()))

    async def _supervise(self, bot: BotProcess) -> None:
        """What systemd would do: start the bot again if it stops by itself."""
        while True:
            await asyncio.sleep(0.5)
            async with self._lock:
                await bot.restart_if_dead()

    async def _settle(
        self,
        url: str,
        plan: list[PlannedCheckIn],
        patients: list[ScriptedPatient],
        follower: CallFollower,
    ) -> bool:
        """Wait until all work is done and nothing has moved for a while."""
        ids = [p.checkin_id for p in plan]
        deadline = time.monotonic() + self.config.quiet_timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(2.0)
            progress = await read_progress(url, ids)
            idle_since = max([follower.last_message, *(p.last_action for p in patients)])
            if progress.settled and time.monotonic() - idle_since > QUIET_SECONDS:
                return True
        return False


async def run_chaos(config: ChaosConfig, say: Callable[[str], None] = print) -> ChaosResult:
    return await ChaosRun(config, say).run()
