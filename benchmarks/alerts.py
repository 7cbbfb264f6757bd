"""Alert latency: patients answer at a steady rate, some with a red flag; how soon does the
care team's chat get the alert card?

Measured from the sandbox's ledger, on Telegram's side: from the getUpdates answer that
handed the reply to the bot to the arrival of the card in the team's group. Every patient
is mid check-in, at the bladder question: "normal" is a calm answer, "leaking" (new
incontinence) a red flag. Each run has patients of its own. The busy runs repeat this
while the dispatcher works through a backlog of check-ins that all fell due at once.
"""

from __future__ import annotations

import asyncio
import cProfile
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import ledger
from benchmarks.alert_stages import Stages, stamped
from benchmarks.bot import daytime_zone, running_bot, unlimited
from benchmarks.cohort import Cohort, CohortSpec, add_cohort, add_teams, make_due
from benchmarks.questions import WAIT, answer, wait_for_questions
from benchmarks.stats import summary_ms
from benchmarks.telegram import JSON, Telegram
from bot.delivery.pacing import Pacer
from bot.sandbox.api.limits import Limits
from db.engine import create_engine

PROTOCOL = "spine-miss-lumbar"  # its check-ins start: red flags, then bladder
CALM, RED_FLAG = "normal", "leaking"
PATIENTS_PER_TEAM = 20  # a group takes 20 messages a minute: a ward, not a hospital


@dataclass(frozen=True)
class Run:
    rate: float  # replies per second
    busy: bool  # while the dispatcher works through a backlog


@dataclass
class Patient:
    chat: int
    ref: str
    message_id: int = 0  # the bladder question they answer
    checkin_id: int = 0
    episode_id: int = 0


async def alert_latency(
    database_url: str,
    telegram: Telegram,
    *,
    patients: int,
    rates: Sequence[float],
    backlog: int,
    red_share: float = 0.1,
    seed: int = 1,
    profile: Path | None = None,
) -> dict[str, Any]:
    """With ``profile``, the timed runs go under cProfile (the main thread's CPU time, where
    the bot runs) and the statistics are written there."""
    runs = [Run(rate, busy) for busy in (False, True) for rate in rates]
    now = datetime.now(UTC)
    zone = daytime_zone(now)
    engine = create_engine(database_url)
    try:
        chats = await telegram.patients(patients * len(runs) + backlog)
        teams = await add_teams(
            engine, await telegram.groups(math.ceil(patients / PATIENTS_PER_TEAM)), now
        )
        answering = await add_cohort(
            engine,
            CohortSpec(
                patients * len(runs),
                now,
                teams,
                dict(enumerate(chats[: patients * len(runs)])),
                protocols=(PROTOCOL,),
                zones=(zone,),
                surgery_days=(2, 10),
                ref_prefix="ANSWER",
            ),
        )
        busy = await add_cohort(
            engine,
            CohortSpec(
                backlog,
                now,
                teams,
                dict(enumerate(chats[patients * len(runs) :])),
                zones=(zone,),
                surgery_days=(2, 10),
                ref_prefix="BUSY",
                seed=seed + 1,
            ),
        )
    finally:
        await engine.dispose()
    people = await _to_the_bladder_question(telegram, database_url, answering)
    rng = random.Random(seed)
    results: dict[str, Any] = {"patients_per_run": patients, "red_share": red_share}
    await telegram.client.enforce_limits(True, Limits())
    # The main thread's CPU time, not the wall clock: the machine is shared.
    profiler = cProfile.Profile(time.thread_time) if profile is not None else None
    async with running_bot(telegram, database_url, Pacer()) as runtime:
        dispatching = False
        for number, run in enumerate(runs):
            if run.busy and not dispatching:
                await make_due(runtime.engine, busy.episode_ids, datetime.now(UTC))
                await _until_sending(telegram, set(busy.chat_ids))
                dispatching = True
            group = people[number * patients : (number + 1) * patients]
            rng.shuffle(group)
            red = {p.chat for p in rng.sample(group, round(len(group) * red_share))}
            with stamped(runtime) as stages:
                if profiler is not None:
                    profiler.enable()
                try:
                    figures = await _one_run(telegram, run, group, red, set(busy.chat_ids), stages)
                finally:
                    if profiler is not None:
                        profiler.disable()
            results[f"{'busy' if run.busy else 'idle'}_{run.rate:g}_per_second"] = figures
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
    return results


async def _to_the_bladder_question(
    telegram: Telegram, database_url: str, cohort: Cohort
) -> list[Patient]:
    """Set-up, at full speed: each patient gets a check-in and says no to the red flags."""
    people = {
        chat: Patient(chat, ref, episode_id=episode)
        for chat, ref, episode in zip(cohort.chat_ids, cohort.refs, cohort.episode_ids, strict=True)
    }
    await telegram.client.enforce_limits(False)
    async with running_bot(telegram, database_url, unlimited()) as runtime:
        seq = await telegram.last_seq()
        await make_due(runtime.engine, cohort.episode_ids, datetime.now(UTC))
        asked = await wait_for_questions(telegram, set(people), "red_flags", seq)
        seq = await telegram.last_seq()
        for chat, (message_id, checkin_id) in asked.items():
            data = answer(checkin_id, "red_flags", "none")
            await telegram.client.press_button(chat, message_id, data)
        for chat, (message_id, checkin_id) in (
            await wait_for_questions(telegram, set(people), "bladder", seq)
        ).items():
            people[chat].message_id, people[chat].checkin_id = message_id, checkin_id
    return list(people.values())


async def _until_sending(telegram: Telegram, chats: set[int], messages: int = 30) -> None:
    """Wait until the backlog's messages are going out (a second's worth at the cap)."""
    seq = await telegram.last_seq()
    sent = 0
    give_up = time.monotonic() + WAIT
    while sent < messages and time.monotonic() < give_up:
        await asyncio.sleep(0.5)
        calls = await telegram.calls("sendMessage", after=seq)
        sent += len([c for c in ledger.delivered(calls) if c["chat_id"] in chats])
        seq = max([seq, *(c["seq"] for c in calls)])


async def _one_run(
    telegram: Telegram,
    run: Run,
    group: list[Patient],
    red: set[int],
    backlog: set[int],
    stages: Stages,
) -> dict[str, Any]:
    seq = await telegram.last_seq()
    updates: dict[int, Patient] = {}
    started = time.perf_counter()
    cpu = time.process_time()  # the bot's, mostly: it runs in this process

    async def reply(patient: Patient, at: float) -> None:
        await asyncio.sleep(max(0.0, at - (time.perf_counter() - started)))
        choice = RED_FLAG if patient.chat in red else CALM
        data = answer(patient.checkin_id, "bladder", choice)
        update = await telegram.client.press_button(patient.chat, patient.message_id, data)
        updates[update["update_id"]] = patient

    await asyncio.gather(*(reply(p, n / run.rate) for n, p in enumerate(group)))
    replied_in = time.perf_counter() - started
    cards = await _cards(telegram, {p.ref for p in group if p.chat in red}, seq)
    cpu = time.process_time() - cpu
    handling = stages.handling_rate()
    calls = await telegram.calls(after=seq)
    handed = ledger.fetched_at(calls)
    latencies = [
        cards[patient.ref]["at"] - handed[update_id]
        for update_id, patient in updates.items()
        if patient.chat in red and patient.ref in cards and update_id in handed
    ]
    backlog_sends = [c for c in ledger.delivered(calls) if c["chat_id"] in backlog]
    reds = [(u, p) for u, p in updates.items() if p.chat in red and u in handed]
    where_time_went = stages.breakdown(
        {p.chat: handed[u] for u, p in reds},
        {p.chat: cards[p.ref]["at"] for _, p in reds if p.ref in cards},
        {p.chat: p.episode_id for p in group},
    )
    return {
        "replies": len(updates),
        "replies_per_second": round(len(updates) / replied_in, 1) if replied_in else None,
        "red_flags": len(red),
        "cards_missing": len(red) - len(latencies),
        "reply_to_card": summary_ms(latencies),
        "too_many_requests": ledger.too_many_requests(calls),
        "backlog_messages_meanwhile": len(backlog_sends),
        "stages_ms": where_time_went,
        "replies_handled": handling,
        "cpu_ms_per_reply_handled": (
            round(1000 * cpu / handling["handled"], 1) if handling["handled"] else None
        ),
        # Inside the reply's handler, and all the process sent (sender, poller, dispatcher)
        "statements_per_reply_handled": _per(stages.statements_handling, handling["handled"]),
        "statements_per_reply_all": _per(stages.statements, handling["handled"]),
    }


def _per(count: int, handled: float | None) -> float | None:
    return round(count / handled, 1) if handled else None


async def _cards(telegram: Telegram, refs: set[str], after: int) -> dict[str, JSON]:
    """The first alert card in a team's chat for each patient, waiting for them all."""
    cards: dict[str, JSON] = {}
    give_up = time.monotonic() + WAIT
    while len(cards) < len(refs) and time.monotonic() < give_up:
        await asyncio.sleep(0.5)
        calls = await telegram.calls("sendMessage", after=after)
        after = max([after, *(c["seq"] for c in calls)])
        for call in ledger.delivered(calls):
            if call["chat_id"] < 0:
                text = call["params"].get("text") or ""
                for ref in refs - cards.keys():
                    if ref in text:
                        cards[ref] = call
    return cards
