"""An episode's standing as the roster shows it: the last answered check-in, the response
rate and the latest recovery score. Kept on the episode as each check-in closes, so that the
roster sorts a team of thousands by an index rather than by reading every check-in."""

from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import CheckIn, CheckInStatus, Episode
from flows import CheckInKind

# A concern or an extra check-in is the patient's own: only planned ones are expected.
EXPECTED = (CheckInKind.SCHEDULED, CheckInKind.EVENING)


async def update_standing(session: AsyncSession, episode_id: int) -> None:
    """Recount the episode's standing from its check-ins (call once one has closed)."""
    await session.flush()  # the check-in that just closed counts
    answered = CheckIn.status == CheckInStatus.COMPLETED
    closed, completed, last = (
        await session.execute(
            select(
                func.count().filter(CheckIn.kind.in_(EXPECTED)),
                func.sum(case((answered & CheckIn.kind.in_(EXPECTED), 1), else_=0)),
                func.max(case((answered, CheckIn.completed_at))),
            ).where(
                CheckIn.episode_id == episode_id,
                CheckIn.status.in_((CheckInStatus.COMPLETED, CheckInStatus.MISSED)),
            )
        )
    ).one()
    score = await session.scalar(
        select(CheckIn.recovery_score)
        .where(
            CheckIn.episode_id == episode_id,
            answered,
            CheckIn.recovery_score.is_not(None),
        )
        .order_by(CheckIn.completed_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    episode = await session.get(Episode, episode_id)
    assert episode is not None
    episode.last_answered_at = last
    episode.response_rate = 100 * (completed or 0) // closed if closed else None
    episode.recovery_score = score
