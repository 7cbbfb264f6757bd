"""The console's roster: every patient of a staff member's teams, whatever their episode's
state, with where their follow-up stands; searched by reference or name, sorted by any
column, a page at a time (a team may follow thousands).

The standing (last answered check-in, response rate, recovery score) is read from the
episode, where it is kept as check-ins close (``bot.checkins.standing``), so that each sort
is an indexed query.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.protocols.catalogue import ProtocolCatalogue
from db.models import (
    OPEN_ALERTS,
    Alert,
    Episode,
    EpisodeStatus,
    LinkToken,
    Patient,
    Team,
    TokenPurpose,
)
from flows import Tier

PAGE_SIZE = 50
SEARCH_LIMIT = 100  # characters of a search: a reference or a name


@dataclass(frozen=True)
class RosterRow:
    episode_id: int
    ref: str
    name: str | None
    team: str
    pathway: str
    status: EpisodeStatus
    link_expires_at: datetime | None  # enrolled, never linked: until when the link works
    pod: int
    last_answered_at: datetime | None
    response_rate: int | None  # percent; None: no planned check-in has closed yet
    recovery_score: int | None  # None: none judged against the pathway yet
    open_tier: Tier | None  # the most urgent open alert's
    zone: str  # the team's time zone, for the times shown


@dataclass(frozen=True)
class Roster:
    rows: tuple[RosterRow, ...]
    total: int
    page: int
    pages: int


def _tier_rank() -> ColumnElement[int]:
    """The most urgent open alert of an episode, as a number (1 for green … 4)."""
    return func.max(case({tier.value: tier.rank + 1 for tier in Tier}, value=Alert.tier, else_=0))


# The episodes with an open alert (a few hundred of a team's thousands) and their most
# urgent alert's rank: joined once, rather than asked for each episode (a subquery per row
# took 3 s to sort 100,000 episodes on PostgreSQL).
OPEN_RANKS = (
    select(Alert.episode_id.label("episode_id"), _tier_rank().label("rank"))
    .where(Alert.status.in_(OPEN_ALERTS))
    .group_by(Alert.episode_id)
    .subquery("open_ranks")
)


# The columns the roster sorts by, each with its order (the tie broken by episode id).
SORTS: dict[str, ColumnElement[Any] | InstrumentedAttribute[Any]] = {
    "ref": Patient.ref,
    "name": func.lower(Patient.display_name),
    "status": Episode.status,
    "pod": Episode.surgery_date,
    "last_answered": Episode.last_answered_at,
    "response_rate": Episode.response_rate,
    "recovery_score": Episode.recovery_score,
    "alert": func.coalesce(OPEN_RANKS.c.rank, 0),
}


async def roster(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    team_ids: Collection[int],
    now: datetime,
    *,
    search: str = "",
    sort: str = "ref",
    descending: bool = False,
    page: int = 1,
) -> Roster:
    """One page of the roster as a member of ``team_ids`` sees it now. ``search`` matches
    the start of a reference or any part of a name, whatever the case."""
    query: Select[tuple[Episode, Patient, Team]] = (
        select(Episode, Patient, Team)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Team, Team.id == Episode.team_id)
        .where(Episode.team_id.in_(team_ids), Patient.erased_at.is_(None))
    )
    search = search.strip()[:SEARCH_LIMIT]
    if search:
        pattern = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(
            or_(
                func.lower(Patient.ref).like(f"{pattern}%", escape="\\"),
                func.lower(Patient.display_name).like(f"%{pattern}%", escape="\\"),
            )
        )
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    key = SORTS.get(sort, Patient.ref)
    # Those with nothing to sort by (no answer yet, no score) come last either way.
    ordered = key.desc().nulls_last() if descending else key.asc().nulls_last()
    tie = Episode.id.desc() if descending else Episode.id.asc()
    found = (
        await session.execute(
            query.outerjoin(OPEN_RANKS, OPEN_RANKS.c.episode_id == Episode.id)
            .add_columns(SORTS["alert"])
            .order_by(ordered, tie)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    expiries = await _link_expiries(
        session, [e.id for e, *_ in found if e.status is EpisodeStatus.INVITED]
    )
    tiers = {tier.rank + 1: tier for tier in Tier}
    rows = []
    for episode, patient, team, rank in found:
        protocol = await catalogue.of_id(session, episode.protocol_version_id)
        rows.append(
            RosterRow(
                episode_id=episode.id,
                ref=patient.ref,
                name=patient.display_name,
                team=team.name,
                pathway=protocol.title,
                status=episode.status,
                link_expires_at=expiries.get(episode.id),
                pod=_pod(now, patient.timezone, episode.surgery_date),
                last_answered_at=episode.last_answered_at,
                response_rate=episode.response_rate,
                recovery_score=episode.recovery_score,
                open_tier=tiers.get(rank),
                zone=team.timezone,
            )
        )
    return Roster(tuple(rows), total, page, pages)


def _pod(now: datetime, zone: str, surgery: date) -> int:
    return (now.astimezone(ZoneInfo(zone)).date() - surgery).days


async def _link_expiries(session: AsyncSession, episode_ids: list[int]) -> dict[int, datetime]:
    """When the newest unused link of each never-linked episode stops working."""
    if not episode_ids:
        return {}
    query = (
        select(LinkToken.episode_id, func.max(LinkToken.expires_at))
        .where(
            LinkToken.episode_id.in_(episode_ids),
            LinkToken.purpose == TokenPurpose.PATIENT,
            LinkToken.used_at.is_(None),
        )
        .group_by(LinkToken.episode_id)
    )
    return {episode_id: at for episode_id, at in (await session.execute(query)).all() if episode_id}
