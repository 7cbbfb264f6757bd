"""The console benchmark's ward: one team following 100,000 enrolled patients, a fifth of
them active, with open alerts.

The cohort's rows come from ``benchmarks.cohort`` (each patient's schedule, the check-ins
sent, answered or missed around ``now``, the alerts some raised, long resolved). On top of
them, here: the active patients' answers to the items the charts and the timeline show, the
standing each episode keeps for the roster (last answered, response rate, recovery score),
names for some patients (a search looks at them), and open alerts with findings as scoring
writes them. Set-up is not what is measured: rows go in in bulk.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.bulk import insert_rows, next_id, table_of
from benchmarks.cohort import PROTOCOLS, CohortSpec, add_cohort, add_teams, protocol_versions
from db.models import (
    Alert,
    AlertStatus,
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    Patient,
)
from flows import CheckInKind, Finding, Protocol, Tier
from flows.schema.items import ChoiceItem, NrsItem, OrdinalItem

# Surgery dates from half a year ago to a week ahead: with follow-ups of about a month, near
# a fifth of the patients are still followed; the few over the count are paused.
SURGERY_DAYS = (-160, 7)
ANSWERED_ITEMS = ("pain_back", "pain_leg", "walking", "temperature", "wound_fluid")
NAMED = 0.5  # patients with a name recorded (the rest: a reference only)
FIRST_NAMES = ("Maria", "Jose", "Ana", "Luis", "Carmen", "Pedro", "Lucia", "Javier", "Elena")
# The findings of the open alerts: (rule, tier, item, answer, reason), as the shipped
# protocols word them.
FINDINGS = (
    ("pain_high", Tier.AMBER, "pain_back", 8, "Back or leg pain of 7/10 or more"),
    ("fever", Tier.AMBER, "temperature", 38.3, "Temperature of 38.0 °C or more"),
    (
        "wound_infection_fluid",
        Tier.RED_URGENT,
        "wound_fluid",
        "cloudy_or_pus",
        "Cloudy fluid or pus from the wound: possible surgical-site infection",
    ),
)
LAST_NAMES = ("Garcia", "Lopez", "Martin", "Sanchez", "Perez", "Gomez", "Ruiz", "Diaz", "Moreno")


@dataclass
class Ward:
    team_id: int
    active_episode_ids: list[int]
    alerted_episode_ids: list[int]
    refs: list[str]
    rows: dict[str, int]


async def load_ward(
    engine: AsyncEngine, now: datetime, *, patients: int, active: int, open_alerts: int
) -> Ward:
    (team_id,) = await add_teams(engine, [-1_000_000_001], now)
    cohort = await add_cohort(
        engine,
        CohortSpec(patients=patients, now=now, team_ids=[team_id], surgery_days=SURGERY_DAYS),
    )
    rng = random.Random(7)
    async with engine.begin() as connection:
        # Exactly ``active`` followed: the rest of those still in follow-up are paused.
        followed = list(
            await connection.scalars(
                select(Episode.id)
                .where(Episode.status == EpisodeStatus.ACTIVE)
                .order_by(Episode.id)
            )
        )
        rng.shuffle(followed)
        kept, paused = sorted(followed[:active]), followed[active:]
        for start in range(0, len(paused), 1_000):
            await connection.execute(
                update(Episode)
                .where(Episode.id.in_(paused[start : start + 1_000]))
                .values(status=EpisodeStatus.PAUSED)
            )
        # The database holds this ward alone: every patient in it is the cohort's.
        patient_ids = list(await connection.scalars(select(Patient.id).order_by(Patient.id)))
        named = [
            {"patient": patient_id, "name": _name(rng)}
            for patient_id in patient_ids
            if rng.random() < NAMED
        ]
        await connection.execute(
            update(Patient)
            .where(Patient.id == bindparam("patient"))
            .values(display_name=bindparam("name")),
            named,
        )
    answers = await _add_answers(engine, now, kept, rng)
    await _keep_standing(engine)
    alerted = sorted(rng.sample(kept, min(open_alerts, len(kept))))
    await add_open_alerts(engine, now, alerted, rng)
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))  # as a live database's statistics would be
    rows = dict(cohort.rows) | {"answers": answers, "open alerts": len(alerted)}
    rows["active episodes"], rows["paused episodes"] = len(kept), len(paused)
    return Ward(team_id, kept, alerted, cohort.refs, rows)


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _value(item: Any, rng: random.Random) -> Any:
    if isinstance(item, NrsItem):
        return rng.randint(0, 7)
    if isinstance(item, OrdinalItem):
        return rng.choice(item.options).id
    if isinstance(item, ChoiceItem):
        return item.options[0].id  # no fluid from the wound
    return round(rng.uniform(36.2, 37.9), 1)  # temperature


def _stored(value: Any, copied: bool) -> Any:
    """COPY takes a JSON column's text; an insert, the column's own values."""
    return json.dumps(value) if copied else value


async def _add_answers(
    engine: AsyncEngine, now: datetime, episode_ids: list[int], rng: random.Random
) -> int:
    """Every completed check-in of the active patients answered, item by item."""
    async with engine.connect() as connection:
        first = await next_id(connection, table_of(Answer))
        versions = {
            version_id: protocol
            for version_id, protocol in (await protocol_versions(engine, PROTOCOLS, now)).values()
        }
        copied = connection.dialect.name == "postgresql"
        rows: list[dict[str, Any]] = []
        for start in range(0, len(episode_ids), 1_000):
            found = await connection.execute(
                select(CheckIn.id, CheckIn.protocol_version_id, CheckIn.completed_at).where(
                    CheckIn.episode_id.in_(episode_ids[start : start + 1_000]),
                    CheckIn.status == CheckInStatus.COMPLETED,
                    CheckIn.kind.in_((CheckInKind.SCHEDULED, CheckInKind.EVENING)),
                )
            )
            for checkin_id, version_id, completed in found.tuples():
                protocol: Protocol = versions[version_id]
                for item in protocol.items:
                    if item.id in ANSWERED_ITEMS:
                        rows.append(
                            {
                                "id": first + len(rows),
                                "checkin_id": checkin_id,
                                "protocol_version_id": version_id,
                                "item_id": item.id,
                                "value": _stored(_value(item, rng), copied),
                                "answered_at": completed - timedelta(minutes=1),
                                "late": False,
                                "update_id": None,
                            }
                        )
        await insert_rows(connection, table_of(Answer), rows)
        await connection.commit()
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('answers', 'id'), "
                    "(SELECT coalesce(max(id), 1) FROM answers))"
                )
            )
            await connection.commit()
    return len(rows)


async def _keep_standing(engine: AsyncEngine) -> None:
    """Each episode's standing as ``bot.checkins.standing`` keeps it as check-ins close."""
    closed = CheckIn.status.in_((CheckInStatus.COMPLETED, CheckInStatus.MISSED))
    planned = CheckIn.kind.in_((CheckInKind.SCHEDULED, CheckInKind.EVENING))
    of_episode = CheckIn.episode_id == Episode.id
    answered = (CheckIn.status == CheckInStatus.COMPLETED) & of_episode
    completed = func.sum(case((CheckIn.status == CheckInStatus.COMPLETED, 1), else_=0))
    latest_score = (
        select(CheckIn.recovery_score)
        .where(answered, CheckIn.recovery_score.is_not(None))
        .order_by(CheckIn.completed_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    async with engine.begin() as connection:
        await connection.execute(
            update(Episode).values(
                last_answered_at=select(func.max(CheckIn.completed_at))
                .where(answered)
                .scalar_subquery(),
                response_rate=select(
                    (100 * completed / func.nullif(func.count(), 0)).cast(
                        Episode.response_rate.type
                    )
                )
                .where(of_episode, closed, planned)
                .scalar_subquery(),
                recovery_score=latest_score,
            )
        )


async def add_open_alerts(
    engine: AsyncEngine, now: datetime, episode_ids: list[int], rng: random.Random
) -> None:
    """One open alert (a third acknowledged) on each episode given, on its latest answered
    check-in, with the finding a soaked dressing gives."""
    async with engine.connect() as connection:
        first = await next_id(connection, table_of(Alert))
        latest = (
            select(CheckIn.episode_id, func.max(CheckIn.id))
            .where(CheckIn.episode_id.in_(episode_ids), CheckIn.status == CheckInStatus.COMPLETED)
            .group_by(CheckIn.episode_id)
        )
        checkins = dict((await connection.execute(latest)).tuples().all())
        of_episode = select(Episode.id, Episode.protocol_version_id).where(
            Episode.id.in_(episode_ids)
        )
        versions = dict((await connection.execute(of_episode)).tuples().all())
        copied = connection.dialect.name == "postgresql"
        rows = []
        for n, episode_id in enumerate(episode_ids):
            rule, tier, item, value, reason = rng.choice(FINDINGS)
            opened = now - timedelta(minutes=rng.randint(5, 600))
            acknowledged = n % 3 == 0
            finding = Finding(
                rule=rule,
                tier=tier,
                items=(item,),
                reason={"en": reason},
                answers={item: value},
                values={item: str(value)},
                pod=rng.randint(1, 14),
                checkin_id=checkins.get(episode_id),
            )
            rows.append(
                {
                    "id": first + n,
                    "episode_id": episode_id,
                    "checkin_id": checkins.get(episode_id),
                    "protocol_version_id": versions[episode_id],
                    "tier": tier.value,
                    "cause": "rule",
                    # COPY takes the JSON itself; an insert, the column's own values.
                    "findings": [finding.to_json() if copied else finding],
                    "status": AlertStatus.ACKNOWLEDGED if acknowledged else AlertStatus.OPEN,
                    "opened_at": opened,
                    "updated_at": opened,
                    "acknowledged_at": opened + timedelta(minutes=4) if acknowledged else None,
                    "acknowledged_by": None,
                    "resolved_at": None,
                    "resolved_by": None,
                    "outcome": None,
                    "clavien_dindo": None,
                    "escalation": [],
                    "escalation_step": 0,
                    "next_escalation_at": None,
                    "card_chat_id": None,
                    "card_message_id": None,
                }
            )
        await insert_rows(connection, table_of(Alert), rows)
        await connection.commit()
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('alerts', 'id'), "
                    "(SELECT coalesce(max(id), 1) FROM alerts))"
                )
            )
            await connection.commit()
