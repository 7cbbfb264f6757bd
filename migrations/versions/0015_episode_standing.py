"""Each episode's standing, kept for the console's roster

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:30:00

The roster lists and sorts a team's patients by their last answered check-in, response
rate and recovery score. Computing those from every check-in at each page would scan them
all; they are kept on the episode, updated as each check-in closes, and indexed with the
team. Existing episodes are filled in from their check-ins.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORTED = {
    "ix_episodes_team_last_answered": "last_answered_at",
    "ix_episodes_team_response_rate": "response_rate",
    "ix_episodes_team_recovery_score": "recovery_score",
    "ix_episodes_team_surgery_date": "surgery_date",
}
# The planned check-ins (not a concern or an extra one), as bot.checkins counts them.
PLANNED = "kind IN ('scheduled', 'evening')"


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(
            sa.Column("last_answered_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("response_rate", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("recovery_score", sa.Integer(), nullable=True))
    for name, column in SORTED.items():
        op.create_index(name, "episodes", ["team_id", column, "id"])
    op.execute(
        f"""
        UPDATE episodes SET
          last_answered_at = (
            SELECT MAX(completed_at) FROM checkins
            WHERE checkins.episode_id = episodes.id AND status = 'completed'),
          recovery_score = (
            SELECT recovery_score FROM checkins
            WHERE checkins.episode_id = episodes.id AND status = 'completed'
              AND recovery_score IS NOT NULL
            ORDER BY completed_at DESC, id DESC LIMIT 1),
          response_rate = (
            SELECT 100 * SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) / COUNT(*)
            FROM checkins
            WHERE checkins.episode_id = episodes.id AND {PLANNED}
              AND status IN ('completed', 'missed'))
        """
    )


def downgrade() -> None:
    for name in SORTED:
        op.drop_index(name, "episodes")
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("recovery_score")
        batch.drop_column("response_rate")
        batch.drop_column("last_answered_at")
