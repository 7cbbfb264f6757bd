"""A follow-up long since done, bulk-loaded for the outcomes benchmark: patients on the four
pathways, every planned check-in sent, most answered (pain, walking, opioid use and the red
flags, as a daily check-in asks them), a few alerts resolved with an outcome.

Not through the pipeline: set-up is not what is measured. Rows go in a batch of patients at a
time, so that loading 20,000 patients holds a thousand in memory, not all of them.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from benchmarks.bulk import insert_rows, next_id, resume_sequences, table_of
from benchmarks.cohort import add_teams, protocol_versions
from benchmarks.cohort_rows import checkin_row, episode_row, patient_row, resolved_alert_row
from db.models import Alert, Answer, CheckIn, CheckInStatus, Episode, EpisodeStatus, Patient
from flows import PlannedCheckIn, plan_check_ins

PATHWAYS = ("spine-miss-lumbar", "spine-open-lumbar", "spine-miss-fusion", "spine-open-fusion")
WALKING = ("none", "in_room", "indoors", "outside_short", "outside_long")
OPIOIDS = ("none", "less", "same", "more")
RED_FLAGS = ("saddle_numbness", "bowel_control", "leg_weakness", "chest_breath", "calf")
ALERTED = 0.02  # of the check-ins answered
BATCH = 1_000  # patients a transaction
ZONE = "Europe/Madrid"


@dataclass
class Loaded:
    patients: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


async def load_follow_up(
    engine: AsyncEngine, patients: int, now: datetime, seed: int = 1
) -> Loaded:
    versions = await protocol_versions(engine, PATHWAYS, now)
    (team_id,) = await add_teams(engine, [-100_900], now)
    rng = random.Random(seed)
    plans: dict[tuple[str, date, date], tuple[PlannedCheckIn, ...]] = {}
    loaded = Loaded(patients=patients)
    tables = (Patient, Episode, CheckIn, Answer, Alert)
    async with engine.connect() as connection:
        # COPY takes JSON as text; SQLAlchemy's insert encodes it itself.
        as_json = json.dumps if connection.dialect.name == "postgresql" else _same
        ids = {model: await next_id(connection, table_of(model)) for model in tables}
        for start in range(0, patients, BATCH):
            rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in tables}
            for n in range(start, min(start + BATCH, patients)):
                name = PATHWAYS[n % len(PATHWAYS)]
                version_id, protocol = versions[name]
                # Operated 100 to 400 days ago: every follow-up (90 days at most) has ended.
                surgery = now.date() - timedelta(days=rng.randint(100, 400))
                discharge = surgery + timedelta(days=rng.choice((0, 1, 1, 2, 3)))
                key = (name, surgery, discharge)
                if key not in plans:
                    plans[key] = plan_check_ins(protocol, surgery, discharge, ZONE)
                patient_id, episode_id = ids[Patient], ids[Episode]
                ids[Patient] += 1
                ids[Episode] += 1
                enrolled = datetime.combine(surgery, now.timetz()) - timedelta(days=1)
                chat = 7_000_000_000 + patient_id
                rows[Patient].append(patient_row("OUT", patient_id, chat, ZONE, enrolled))
                episode = episode_row(
                    episode_id,
                    patient_id,
                    team_id,
                    version_id,
                    protocol,
                    surgery,
                    discharge,
                    enrolled,
                )
                episode["status"] = EpisodeStatus.COMPLETED
                rows[Episode].append(episode)
                # MISS patients recover a little sooner: the curves have something to show.
                pace = 1.3 if "miss" in name else 1.0
                for planned in plans[key]:
                    checkin = checkin_row(ids[CheckIn], episode_id, version_id, planned, now, rng)
                    ids[CheckIn] += 1
                    rows[CheckIn].append(checkin)
                    if checkin["status"] is not CheckInStatus.COMPLETED:
                        continue
                    for item, value in _answers(planned.pod, pace, rng).items():
                        rows[Answer].append(_answer_row(ids[Answer], checkin, item, as_json(value)))
                        ids[Answer] += 1
                    if rng.random() < ALERTED:
                        rows[Alert].append(resolved_alert_row(ids[Alert], checkin))
                        ids[Alert] += 1
            for model in tables:
                await insert_rows(connection, table_of(model), rows[model])
                name = table_of(model).name
                loaded.rows[name] = loaded.rows.get(name, 0) + len(rows[model])
            await connection.commit()
        await resume_sequences(connection)
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('answers', 'id'), "
                    "(SELECT coalesce(max(id), 1) FROM answers))"
                )
            )
            await connection.execute(text("ANALYZE"))  # as autovacuum would after a load
            await connection.commit()
    return loaded


def _answers(pod: int, pace: float, rng: random.Random) -> dict[str, Any]:
    healed = min(1.0, pace * pod / 30)
    answers: dict[str, Any] = {flag: False for flag in RED_FLAGS}
    answers |= {
        "bladder": "normal",
        "wound_bleeding": "dry",
        "pain_back": max(0, min(10, round(7 - 6 * healed + rng.gauss(0, 1.5)))),
        "pain_leg": max(0, min(10, round(5 - 5 * healed + rng.gauss(0, 1.5)))),
        "walking": WALKING[max(0, min(4, round(4 * healed + rng.gauss(0, 0.7))))],
        "opioid_use": OPIOIDS[0] if healed > 0.5 else rng.choice(OPIOIDS),
    }
    return answers


def _answer_row(answer_id: int, checkin: dict[str, Any], item: str, value: Any) -> dict[str, Any]:
    return {
        "id": answer_id,
        "checkin_id": checkin["id"],
        "protocol_version_id": checkin["protocol_version_id"],
        "item_id": item,
        "value": value,
        "answered_at": checkin["completed_at"],
        "late": False,
        "update_id": None,
    }


def _same(value: Any) -> Any:
    return value
