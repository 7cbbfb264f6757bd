"""The console's roster: every patient of a staff member's teams, whatever their episode's
state, with where their follow-up stands; searched by reference or name, sorted by any
column, a page at a time (a team may follow thousands).

The standing (last answered check-in, response rate, recovery score) is read from the
episode, where it is kept as check-ins close (``bot.checkins.standing``), so that each sort
is an indexed query.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, or_, select
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
# Patients counted at most: beyond, the roster says "more than" (counting a team of 100,000
# on every page read every one of its episodes, for a figure nobody pages through).
COUNTED = 10_000
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
    total: int  # at most COUNTED
    page: int
    pages: int
    more: bool = False  # more than ``total`` (the count stopped there)
    earlier: bool = False  # a page before this one
    later: bool = False  # a page after this one


@dataclass(frozen=True)
class Place:
    """Where a page starts: after (or before) the row of this episode in the order shown.
    An episode's id says it, never its reference (a URL is kept by browsers and logs)."""

    episode_id: int
    before: bool = False


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
_WITH_OPEN_ALERT = select(Alert.episode_id).where(Alert.status.in_(OPEN_ALERTS))


@dataclass(frozen=True)
class _Stretch:
    """A stretch of the order: the rows ``where`` holds, by ``keys`` (never null; the last
    is the episode's id). Nulls come last either way, as a stretch of their own, so that
    every stretch is read in an index's order, forwards or backwards, on both backends."""

    keys: tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]
    where: ColumnElement[bool] | None = None
    ranked: bool = False  # joined to the open alerts' ranks
    nulls: bool = False  # the rows without a value: last, whichever the direction
    by_reference: bool = False  # read from the patients' references, in their order


def _nullable(column: InstrumentedAttribute[Any]) -> tuple[_Stretch, ...]:
    return (
        _Stretch((column, Episode.id), column.is_not(None)),
        _Stretch((Episode.id,), column.is_(None), nulls=True),
    )


# The columns the roster sorts by, each as its stretches in ascending order.
SORTS: dict[str, tuple[_Stretch, ...]] = {
    "ref": (_Stretch((Patient.ref, Episode.id), by_reference=True),),
    "status": (_Stretch((Episode.status, Episode.id)),),
    "pod": (_Stretch((Episode.surgery_date, Episode.id)),),
    "last_answered": _nullable(Episode.last_answered_at),
    "response_rate": _nullable(Episode.response_rate),
    "recovery_score": _nullable(Episode.recovery_score),
    # No open alert first, then the least urgent.
    "alert": (
        _Stretch((Episode.id,), Episode.id.not_in(_WITH_OPEN_ALERT)),
        _Stretch((OPEN_RANKS.c.rank, Episode.id), ranked=True),
    ),
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
    place: Place | None = None,
) -> Roster:
    """One page of the roster as a member of ``team_ids`` sees it now: the first, or the
    one next to ``place`` (``page`` is only its number, as shown). ``search`` matches the
    start of a reference or any part of a name, whatever the case.

    Pages follow one another by the last row shown (keyset), not by counting rows: a page
    far down the list costs what the first does."""
    query: Select[tuple[Episode, Patient, Team]] = (
        select(Episode, Patient, Team)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Team, Team.id == Episode.team_id)
        .where(Patient.erased_at.is_(None))
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
    teams = tuple(team_ids)
    # SQLite is told to read the patients first (below); PostgreSQL's planner does so when
    # it pays, and would misjudge the hint.
    hinted = session.get_bind().dialect.name == "sqlite"
    # A search is counted from the patients it matches, not from every episode's patient.
    searched = _of_teams(query, teams=teams, by_index=not hinted) if search else None
    total = await _count(session, teams, searched)
    more = total > COUNTED
    total = min(total, COUNTED)
    pages = max(1, -(-total // PAGE_SIZE))
    stretches = SORTS.get(sort, SORTS["ref"])
    backwards = place is not None and place.before
    teams_of = partial(_of_teams, teams=teams, hinted=hinted)
    start = await _start(session, query, teams_of, stretches, place) if place else None
    if place is not None and start is None:  # that row is gone, or not theirs: the first
        backwards, page = False, 1
    found = await _walk(session, query, teams_of, stretches, descending, backwards, start)
    beyond = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    if backwards:
        found.reverse()
    earlier, later = (beyond, True) if backwards else (start is not None, beyond)
    page = 1 if not earlier else max(page, 2) if more else min(max(page, 2), pages)
    rows = await _rows(session, catalogue, found, now)
    return Roster(tuple(rows), total, page, pages, more, earlier, later)


async def _count(
    session: AsyncSession, team_ids: Collection[int], searched: Select[Any] | None
) -> int:
    """The team's patients, up to one more than ``COUNTED``: from the episodes' team index,
    less the few erased (their episodes stay, their patients are no one now); a search's,
    from what it matched."""
    if searched is not None:
        return await _counted(session, searched.limit(COUNTED + 1))
    erased_patients = select(Patient.id).where(Patient.erased_at.is_not(None))
    erased = (
        await session.scalar(
            select(func.count())
            .select_from(Episode)
            .where(Episode.team_id.in_(team_ids), Episode.patient_id.in_(erased_patients))
        )
        or 0
    )
    episodes = select(Episode.id).where(Episode.team_id.in_(team_ids))
    return await _counted(session, episodes.limit(COUNTED + 1 + erased)) - erased


async def _counted(session: AsyncSession, query: Select[Any]) -> int:
    return await session.scalar(select(func.count()).select_from(query.subquery())) or 0


_Start = tuple[int, tuple[Any, ...]]  # the stretch a page starts in, and its row's keys


async def _start(
    session: AsyncSession,
    query: Select[Any],
    teams_of: _TeamsOf,
    stretches: tuple[_Stretch, ...],
    place: Place,
) -> _Start | None:
    """The stretch and keys of the row a page starts next to (None: not on this list)."""
    for n, stretch in enumerate(stretches):
        keyed = _in_stretch(query, teams_of, stretch).where(Episode.id == place.episode_id)
        keys = (await session.execute(keyed.with_only_columns(*stretch.keys))).first()
        if keys is not None:
            return n, tuple(keys)
    return None


class _TeamsOf(Protocol):
    def __call__(self, query: Select[Any], *, by_reference: bool) -> Select[Any]: ...


def _of_teams(
    query: Select[Any],
    *,
    teams: tuple[int, ...],
    hinted: bool = False,
    by_reference: bool = True,
    by_index: bool = True,
) -> Select[Any]:
    """Only the episodes of ``teams``. ``by_index=False``, or ``hinted`` and
    ``by_reference``: checked on each row rather than read from the team's index ("+ 0"),
    so that SQLite reads the patients first (in the order of their references, or to
    match a search) rather than every one of the team's episodes."""
    if by_index and not (hinted and by_reference):
        return query.where(Episode.team_id.in_(teams))
    return query.where((Episode.team_id + literal_column("0")).in_(teams))


def _in_stretch(query: Select[Any], teams_of: _TeamsOf, stretch: _Stretch) -> Select[Any]:
    query = teams_of(query, by_reference=stretch.by_reference)
    if stretch.ranked:
        query = query.join(OPEN_RANKS, OPEN_RANKS.c.episode_id == Episode.id)
    return query if stretch.where is None else query.where(stretch.where)


async def _walk(
    session: AsyncSession,
    query: Select[Any],
    teams_of: _TeamsOf,
    stretches: tuple[_Stretch, ...],
    descending: bool,
    backwards: bool,
    start: _Start | None,
) -> list[tuple[Episode, Patient, Team]]:
    """Up to a page and one row in the order shown (``backwards``: towards its start),
    stretch after stretch, from just past ``start``'s row."""
    shown = list(enumerate(stretches))
    if descending:  # the order reversed, but for the nulls: last either way
        shown = [s for s in reversed(shown) if not s[1].nulls] + [s for s in shown if s[1].nulls]
    if backwards:
        shown.reverse()
    reverse = descending != backwards
    if start is not None:
        shown = shown[next(i for i, (n, _) in enumerate(shown) if n == start[0]) :]
    found: list[tuple[Episode, Patient, Team]] = []
    for n, stretch in shown:
        within = _in_stretch(query, teams_of, stretch)
        if start is not None and n == start[0]:
            within = within.where(_past(stretch.keys, start[1], reverse))
        keys = [key.desc() if reverse else key.asc() for key in stretch.keys]
        batch = await session.execute(within.order_by(*keys).limit(PAGE_SIZE + 1 - len(found)))
        found.extend(batch.tuples())
        if len(found) > PAGE_SIZE:
            break
    return found


def _past(keys: Sequence[Any], values: Sequence[Any], reverse: bool) -> ColumnElement[bool]:
    """The rows after ``values`` in the order of ``keys`` (before, when ``reverse``),
    written so that an index on the keys reads from there: k1 >= v1 and (k1 > v1 or …)."""
    key, value = keys[0], values[0]
    beyond: ColumnElement[bool] = key < value if reverse else key > value
    if len(keys) == 1:
        return beyond
    reached = key <= value if reverse else key >= value
    return and_(reached, or_(beyond, _past(keys[1:], values[1:], reverse)))


async def _rows(
    session: AsyncSession,
    catalogue: ProtocolCatalogue,
    found: Sequence[tuple[Episode, Patient, Team]],
    now: datetime,
) -> list[RosterRow]:
    """The page's rows, with their open alerts' tiers and their links' expiries: asked for
    the page's episodes alone."""
    ids = [episode.id for episode, _, _ in found]
    ranks = (
        dict(
            (await session.execute(select(OPEN_RANKS).where(OPEN_RANKS.c.episode_id.in_(ids))))
            .tuples()
            .all()
        )
        if ids
        else {}
    )
    expiries = await _link_expiries(
        session, [e.id for e, _, _ in found if e.status is EpisodeStatus.INVITED]
    )
    tiers = {tier.rank + 1: tier for tier in Tier}
    rows = []
    for episode, patient, team in found:
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
                open_tier=tiers.get(ranks.get(episode.id, 0)),
                zone=team.timezone,
            )
        )
    return rows


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
