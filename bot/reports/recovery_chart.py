"""The numbers behind a patient's recovery chart, read from their episode's answers.

Each check-in is read by the protocol version it was judged by (an ordinal answer becomes
its rank, ``flows`` judges its milestones); the goals drawn are the milestones of the
episode's current protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.checkins.history import PLANNED_KINDS
from bot.protocols.catalogue import ProtocolCatalogue
from bot.telegram.render.chart import Point, RecoveryChart
from db.models import (
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    Patient,
    ProtocolVersion,
)
from flows import Protocol
from flows.compiled import compile_protocol
from flows.milestones import Bound, expected_levels, judge
from flows.schema.items import OrdinalItem

# Staff read the bot in English (as the alert cards); patients' languages are for patients.
STAFF_LANGUAGE = "en"
PLOTTED = ("pain_back", "pain_leg", "walking")


def pod_on(patient: Patient, episode: Episode, now: datetime) -> int:
    """The post-operative day it is now where the patient lives."""
    return (now.astimezone(ZoneInfo(patient.timezone)).date() - episode.surgery_date).days


async def recovery_chart(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    patient: Patient,
    episode: Episode,
    now: datetime,
) -> RecoveryChart:
    version = await session.get_one(ProtocolVersion, episode.protocol_version_id)
    protocol = catalogue.of(version)
    check_ins = list(
        await session.scalars(
            select(CheckIn)
            .where(CheckIn.episode_id == episode.id)
            .order_by(CheckIn.due_at, CheckIn.id)
        )
    )
    series = await _series(session, catalogue, check_ins)
    today = pod_on(patient, episode, now)
    upcoming = [c.pod for c in check_ins if c.status is CheckInStatus.SCHEDULED and c.pod > today]
    return RecoveryChart(
        title=f"{patient.ref} · {episode.procedure or protocol.title}",
        subtitle=f"{version.protocol_id}@{version.version} · surgery "
        f"{episode.surgery_date.isoformat()} · POD {today} today",
        back_pain=series["pain_back"],
        leg_pain=series["pain_leg"],
        walking=series["walking"],
        walking_levels=_levels(protocol, "walking"),
        back_pain_goal=_goal(protocol, "pain_back", "at_most"),
        walking_goal=_goal(protocol, "walking", "at_least"),
        back_pain_behind=series["pain_back_behind"],
        walking_behind=series["walking_behind"],
        missed=[
            c.pod for c in check_ins if c.status is CheckInStatus.MISSED and c.kind in PLANNED_KINDS
        ],
        today=today,
        last_pod=min(upcoming, default=today),  # the next check-in, and its goal, in sight
    )


async def _series(
    session: AsyncSession, catalogue: ProtocolCatalogue, check_ins: Sequence[CheckIn]
) -> dict[str, list[Point]]:
    """Per plotted item, its answers by POD, and those behind a milestone due then."""
    series: dict[str, list[Point]] = {
        key: [] for item in PLOTTED for key in (item, f"{item}_behind")
    }
    answers = await _answers(session, [c.id for c in check_ins])
    protocols: dict[int, Protocol] = {}
    for row in check_ins:
        given = answers.get(row.id)
        if not given:
            continue
        if row.protocol_version_id not in protocols:
            stored = await session.get_one(ProtocolVersion, row.protocol_version_id)
            protocols[row.protocol_version_id] = catalogue.of(stored)
        judged_by = protocols[row.protocol_version_id]
        milestones = compile_protocol(judged_by).milestones
        judged = judge(milestones, row.pod, given)
        behind = {m.item for m in milestones if judged.get(m.id) is False}
        for item in PLOTTED:
            value = _number(judged_by, item, given)
            if value is None:
                continue
            series[item].append((row.pod, value))
            if item in behind:
                series[f"{item}_behind"].append((row.pod, value))
    return series


async def _answers(session: AsyncSession, check_in_ids: list[int]) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    if check_in_ids:
        for answer in await session.scalars(
            select(Answer).where(Answer.checkin_id.in_(check_in_ids))
        ):
            found.setdefault(answer.checkin_id, {})[answer.item_id] = answer.value
    return found


def _number(protocol: Protocol, item_id: str, answers: dict[str, Any]) -> float | None:
    """An answer as a number to plot: a scale's value, or an ordinal option's rank."""
    item, value = protocol.items_by_id.get(item_id), answers.get(item_id)
    if item is None or value is None:
        return None
    if isinstance(item, OrdinalItem):
        rank = {option.id: option.value for option in item.options}.get(value)
        return None if rank is None else float(rank)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _levels(protocol: Protocol, item_id: str) -> dict[int, str]:
    """An ordinal item's option labels by rank."""
    item = protocol.items_by_id.get(item_id)
    if not isinstance(item, OrdinalItem):
        return {}
    return {
        o.value: o.label.get(STAFF_LANGUAGE) or next(iter(o.label.values()))
        for o in item.options
        if o.value is not None
    }


def _goal(protocol: Protocol, item_id: str, bound: Bound) -> list[Point]:
    if item_id not in protocol.items_by_id:
        return []
    return [(level.pod, level.level) for level in expected_levels(protocol, item_id, bound)]
