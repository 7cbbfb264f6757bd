"""Burst: every patient due at the same minute, with Telegram answering 429 as it does, and
a red flag raised in the middle of it.

The sandbox counts Telegram's limits in sliding windows (more than 30 requests arriving in
any second is refused with ``retry_after``, and so is every request of the bot until that
has passed). Does every check-in arrive, how close to the cap, with how many 429s, and how
soon after the last one? Meanwhile, once a quarter of the messages have gone, one patient
says yes to a red flag: their answer gets the bot's next question (a reply), then the
alert card reaches the team's chat. Both are measured on Telegram's side, from the
getUpdates answer that handed the patient's press to the bot to the arrival of what it
caused, with the rest of the burst still waiting.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks import ledger
from benchmarks.bot import daytime_zone, running_bot
from benchmarks.cohort import CohortSpec, add_cohort, add_teams, make_due
from benchmarks.dispatch import all_sent
from benchmarks.questions import WAIT, answer, asked_in
from benchmarks.stats import percentile
from benchmarks.telegram import JSON, Telegram
from bot.delivery.pacing import OVERALL_PER_SECOND, Pacer
from bot.sandbox.api.limits import Limits
from db.engine import create_engine

PROTOCOL = "spine-miss-lumbar"  # its check-ins start with the red flags
RED_FLAG_AFTER = 0.25  # of the burst's messages gone when the patient raises the red flag
MESSAGES_PER_CHECK_IN = 2  # the greeting, then the first question


async def burst(database_url: str, telegram: Telegram, patients: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    engine = create_engine(database_url)
    try:
        chats = await telegram.patients(patients)
        teams = await add_teams(engine, await telegram.groups(1), now)
        cohort = await add_cohort(
            engine,
            CohortSpec(
                patients,
                now,
                teams,
                dict(enumerate(chats)),
                protocols=(PROTOCOL,),
                zones=(daytime_zone(now),),
                surgery_days=(2, 10),
            ),
        )
    finally:
        await engine.dispose()
    await telegram.client.enforce_limits(True, Limits(sliding_window=True))
    async with running_bot(telegram, database_url, Pacer()) as runtime:
        seq = await telegram.last_seq()
        due = datetime.now(UTC)
        await make_due(runtime.engine, cohort.episode_ids, due)
        started = time.perf_counter()
        red_flag = await _red_flag_mid_burst(telegram, set(cohort.chat_ids), seq, patients)
        deadline = 120 + 3 * MESSAGES_PER_CHECK_IN * patients / OVERALL_PER_SECOND
        finished = await all_sent(runtime, due, deadline)
        elapsed = time.perf_counter() - started
    calls = await telegram.calls(after=seq)
    return _figures(calls, set(cohort.chat_ids), due, finished, elapsed, red_flag)


async def _red_flag_mid_burst(
    telegram: Telegram, chats: set[int], seq: int, patients: int
) -> dict[str, Any]:
    """Once a quarter of the burst has gone, the first patient asked says there is a red
    flag (the bot replies with the next question) and yes to it (the card follows): the
    updates of both presses, and the reply."""
    asked: dict[int, tuple[int, int]] = {}
    gone, after = 0, seq
    give_up = time.monotonic() + WAIT
    while gone < RED_FLAG_AFTER * MESSAGES_PER_CHECK_IN * patients or not asked:
        if time.monotonic() > give_up:
            raise TimeoutError("the burst did not start")
        await asyncio.sleep(0.2)
        calls = await telegram.calls("sendMessage", after=after)
        after = max([after, *(c["seq"] for c in calls)])
        for call in ledger.delivered(calls):
            gone += 1
            checkin = asked_in(call, "red_flags")
            if checkin is not None and call["chat_id"] in chats:
                asked.setdefault(call["chat_id"], (call["result"]["message_id"], checkin))
    chat, (message_id, checkin_id) = next(iter(asked.items()))
    some = await telegram.client.press_button(
        chat, message_id, answer(checkin_id, "red_flags", "some")
    )
    question = await _wait_for(
        telegram, chat, after, lambda call: asked_in(call, "saddle_numbness")
    )
    yes = await telegram.client.press_button(
        chat, question["result"]["message_id"], answer(checkin_id, "saddle_numbness", "yes")
    )
    return {
        "chat": chat,
        "messages_gone_before": gone,
        "reply_update": some["update_id"],
        "reply": question,
        "card_update": yes["update_id"],
    }


async def _wait_for(
    telegram: Telegram, chat: int, after: int, found: Callable[[JSON], int | None]
) -> JSON:
    """The first message to ``chat`` after ``after`` that ``found`` recognises."""
    give_up = time.monotonic() + WAIT
    while time.monotonic() < give_up:
        for call in ledger.delivered(await telegram.calls("sendMessage", after=after)):
            if call["chat_id"] == chat and found(call) is not None:
                return call
        await asyncio.sleep(0.05)
    raise TimeoutError("the bot never asked the next question")


def _figures(
    calls: list[JSON],
    patients: set[int],
    due: datetime,
    finished: bool,
    elapsed: float,
    red_flag: dict[str, Any],
) -> dict[str, Any]:
    sends = ledger.delivered(calls)
    to_patients = [c for c in sends if c["chat_id"] in patients]
    rate = ledger.sustained_rate(sends)
    handed = ledger.fetched_at(calls)
    reply_ms = _ms(red_flag["reply"]["at"] - handed[red_flag["reply_update"]])
    card = next((c for c in sends if c["chat_id"] < 0 and c["at"] > red_flag["reply"]["at"]), None)
    card_ms = _ms(card["at"] - handed[red_flag["card_update"]]) if card else None
    last = to_patients[-1]["wall"] - due.timestamp() if to_patients else None
    return {
        "patients": len(patients),
        "finished": finished,
        "patients_reached": len(ledger.first_to_each(to_patients)),
        "messages": len(sends),
        "sends_per_second": _round(rate),
        "share_of_cap": round(rate / OVERALL_PER_SECOND, 3) if rate else None,
        # Requests, refused or not, as Telegram counts them.
        "most_in_one_second": _most_in_a_second(
            [c["at"] for c in calls if c["method"] in ledger.SENDING]
        ),
        "too_many_requests": ledger.too_many_requests(calls),
        # Where the pace was lost: pauses between two requests longer than 0.1 s.
        "pauses_over_100_ms": _pauses(sends, 0.1),
        "seconds_to_last_check_in": _round(last),
        "red_flag_after_messages": red_flag["messages_gone_before"],
        "reply_ms": reply_ms,
        "card_ms": card_ms,
        "messages_left_when_card_arrived": (
            sum(1 for c in to_patients if card and c["at"] > card["at"]) if card else None
        ),
        "wall_seconds": round(elapsed, 1),
    }


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Runs of one size on one backend: the median and the worst of each figure."""

    def median(key: str) -> float | None:
        values = [r[key] for r in runs if r.get(key) is not None]
        return _round(percentile(values, 0.5))

    return {
        "runs": len(runs),
        "all_delivered": all(r["finished"] for r in runs),
        "share_of_cap_median": median("share_of_cap"),
        "share_of_cap_lowest": min((r["share_of_cap"] or 0.0 for r in runs), default=None),
        "too_many_requests": [r["too_many_requests"] for r in runs],
        "most_in_one_second": max(r["most_in_one_second"] for r in runs),
        "seconds_to_last_check_in_median": median("seconds_to_last_check_in"),
        "card_ms": [r["card_ms"] for r in runs],
        "reply_ms": [r["reply_ms"] for r in runs],
    }


def _most_in_a_second(times: list[float]) -> int:
    """The most requests arriving within one second of each other (inclusive)."""
    times = sorted(times)
    return max((bisect.bisect_right(times, t + 1.0) - i for i, t in enumerate(times)), default=0)


def _pauses(sends: list[JSON], longer_than: float) -> dict[str, Any]:
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(sends)]
    long = [gap for gap in gaps if gap > longer_than]
    return {
        "count": len(long),
        "seconds": _round(sum(long)),
        "at_message": [(n + 1, _round(gap)) for n, gap in enumerate(gaps) if gap > longer_than],
    }


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)
