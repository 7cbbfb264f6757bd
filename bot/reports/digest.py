"""The care team's digest: where the team's patients stand, at one instant.

Who is counted: the team's episodes still in follow-up (active, paused by the
patient or the team, or unreachable).

- **Tier.** A patient's tier is the tier of their latest completed check-in, raised to the
  tier of their unresolved (open or acknowledged) alert when that is higher: an alert also
  covers a red flag answered in a check-in left unfinished, a run of missed check-ins, a
  pause. A patient with neither a completed check-in nor an alert has no tier yet and is
  counted apart. A missed check-in does not set the tier: it is counted as missed, and the
  protocol's non-response rules raise an alert when missing matters.
- **Missed check-ins:** planned check-ins whose window closed unanswered in the last 24 h.
- **Behind a milestone:** behind at their latest judged check-in, judged by the episode's
  protocol version as the clinic does it (``flows.milestones``).
- **Alerts past their target:** not yet acknowledged and older than the protocol's
  acknowledgement target for their tier (the same reckoning as /alerts).
- **Paused** and **unreachable** patients.

Patients appear by their pseudonymous reference only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.age import age_of
from bot.checkins.history import PLANNED_KINDS
from bot.protocols.catalogue import ProtocolCatalogue
from db.models import (
    OPEN_ALERTS,
    Alert,
    Answer,
    CheckIn,
    CheckInStatus,
    Episode,
    EpisodeStatus,
    Patient,
    Team,
)
from flows import Protocol, Tier
from flows.compiled import compile_protocol
from flows.digest import Digest, OverdueAlert
from flows.milestones import behind, judge

IN_FOLLOW_UP = (
    EpisodeStatus.ACTIVE,
    EpisodeStatus.PAUSED,
    EpisodeStatus.ON_HOLD,
    EpisodeStatus.UNREACHABLE,
)
MISSED_SINCE = timedelta(hours=24)


@dataclass(frozen=True)
class _Episode:
    id: int
    ref: str
    status: EpisodeStatus
    protocol: Protocol


async def team_digest(
    session: AsyncSession, catalogue: ProtocolCatalogue, team: Team, now: datetime
) -> Digest:
    episodes = await _episodes(session, catalogue, team.id)
    alerts = await _open_alerts(session, team.id)
    tiers = _raised_by_alerts(await _latest_tiers(session, team.id), alerts)
    by_tier: dict[Tier, list[str]] = {tier: [] for tier in sorted(Tier, key=_most_urgent)}
    for episode in episodes.values():
        if episode.id in tiers:
            by_tier[tiers[episode.id]].append(episode.ref)
    missed = await _missed(session, team.id, now)
    return Digest(
        team=team.name,
        local_time=now.astimezone(ZoneInfo(team.timezone)),
        patients=len(episodes),
        by_tier={tier: tuple(refs) for tier, refs in by_tier.items()},
        no_tier_yet=_refs(e for e in episodes.values() if e.id not in tiers),
        missed=tuple(episodes[i].ref for i in missed if i in episodes),
        behind=await _behind(session, episodes, team.id),
        overdue_alerts=_overdue(alerts, episodes, now, team.timezone),
        paused=_refs(e for e in episodes.values() if e.status is EpisodeStatus.PAUSED),
        on_hold=_refs(e for e in episodes.values() if e.status is EpisodeStatus.ON_HOLD),
        unreachable=_refs(e for e in episodes.values() if e.status is EpisodeStatus.UNREACHABLE),
    )


def _raised_by_alerts(tiers: dict[int, Tier], alerts: list[Alert]) -> dict[int, Tier]:
    raised = dict(tiers)
    for alert in alerts:
        seen = raised.get(alert.episode_id)
        if seen is None or alert.tier.rank > seen.rank:
            raised[alert.episode_id] = alert.tier
    return raised


def _overdue(
    alerts: list[Alert], episodes: dict[int, _Episode], now: datetime, zone: str
) -> tuple[OverdueAlert, ...]:
    overdue = []
    for alert in alerts:
        episode = episodes.get(alert.episode_id)  # None: it left follow-up meanwhile
        if episode is None:
            continue
        age = age_of(alert, episode.protocol, now, zone)
        if age.past_target:
            overdue.append(OverdueAlert(alert.id, alert.tier, episode.ref, age))
    return tuple(overdue)


def _in_follow_up(team_id: int) -> Select[tuple[int]]:
    return select(Episode.id).where(Episode.team_id == team_id, Episode.status.in_(IN_FOLLOW_UP))


async def _episodes(
    session: AsyncSession, catalogue: ProtocolCatalogue, team_id: int
) -> dict[int, _Episode]:
    rows = (
        await session.execute(
            select(Episode.id, Patient.ref, Episode.status, Episode.protocol_version_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(Episode.id.in_(_in_follow_up(team_id)))
            .order_by(Patient.ref)
        )
    ).all()
    # By id: a stored protocol file is large (read with each of 10,000 patients' rows,
    # the digest held 300 MB), and a team's patients share a few versions.
    protocols = {
        version_id: await catalogue.of_id(session, version_id)
        for version_id in {row.protocol_version_id for row in rows}
    }
    return {
        id_: _Episode(id_, ref, status, protocols[version_id])
        for id_, ref, status, version_id in rows
    }


async def _open_alerts(session: AsyncSession, team_id: int) -> list[Alert]:
    return list(
        await session.scalars(
            select(Alert)
            .where(Alert.episode_id.in_(_in_follow_up(team_id)), Alert.status.in_(OPEN_ALERTS))
            .order_by(Alert.opened_at, Alert.id)
        )
    )


async def _latest_tiers(session: AsyncSession, team_id: int) -> dict[int, Tier]:
    """Each episode's tier at its latest completed check-in."""
    rows = await session.execute(
        select(CheckIn.episode_id, CheckIn.tier)
        .where(
            CheckIn.episode_id.in_(_in_follow_up(team_id)),
            CheckIn.status == CheckInStatus.COMPLETED,
            CheckIn.tier.is_not(None),
        )
        .order_by(CheckIn.completed_at, CheckIn.id)
    )
    return {episode_id: Tier(tier) for episode_id, tier in rows.all()}  # the last one wins


async def _missed(session: AsyncSession, team_id: int, now: datetime) -> list[int]:
    """The episode of each planned check-in missed in the last 24 h, oldest first."""
    rows = await session.scalars(
        select(CheckIn.episode_id)
        .where(
            CheckIn.episode_id.in_(_in_follow_up(team_id)),
            CheckIn.status == CheckInStatus.MISSED,
            CheckIn.kind.in_(PLANNED_KINDS),
            CheckIn.missed_at > now - MISSED_SINCE,
            CheckIn.missed_at <= now,
        )
        .order_by(CheckIn.missed_at, CheckIn.id)
    )
    return list(rows)


async def _behind(
    session: AsyncSession, episodes: dict[int, _Episode], team_id: int
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Milestones behind at their latest judged check-in, for each episode behind on any."""
    items = {m.item for e in episodes.values() for m in compile_protocol(e.protocol).milestones}
    rows = await session.execute(
        select(CheckIn.episode_id, CheckIn.id, CheckIn.pod, Answer.item_id, Answer.value)
        .join(Answer, Answer.checkin_id == CheckIn.id)
        .where(
            CheckIn.episode_id.in_(_in_follow_up(team_id)),
            CheckIn.status == CheckInStatus.COMPLETED,
            Answer.item_id.in_(items),
        )
        .order_by(CheckIn.due_at, CheckIn.id)
    )
    # episode → check-in → (POD, answers), oldest check-in first (dicts keep that order)
    answered: dict[int, dict[int, tuple[int, dict[str, Any]]]] = defaultdict(dict)
    for episode_id, checkin_id, pod, item_id, value in rows.all():
        answered[episode_id].setdefault(checkin_id, (pod, {}))[1][item_id] = value
    found = []
    for episode in episodes.values():
        milestones = compile_protocol(episode.protocol).milestones
        judgements = [judge(milestones, pod, a) for pod, a in answered[episode.id].values()]
        late = behind(milestones, judgements)
        if late:
            found.append((episode.ref, late))
    return tuple(found)


def _refs(episodes: Iterable[_Episode]) -> tuple[str, ...]:
    return tuple(e.ref for e in episodes)


def _most_urgent(tier: Tier) -> int:
    return -tier.rank
