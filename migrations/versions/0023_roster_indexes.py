"""Index what the roster sorts and counts by: a team's episodes by status, the erased patients

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 22:05:00

The roster reads a page of a team's patients in the order of a column, from an index on
(team, column, id), forwards or backwards, and pages on from the last row shown; the status
had no such index, so sorting by it sorted every episode of the team. Its count of the
team's patients counts the team's episodes from their index, less those of erased patients:
the few erased patients get an index of their own, so that they are found without reading
every patient.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ERASED = sa.text("erased_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.create_index("ix_episodes_team_status", ["team_id", "status", "id"])
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patients_erased", ["id"], sqlite_where=ERASED, postgresql_where=ERASED
        )


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_index("ix_patients_erased")
    with op.batch_alter_table("episodes", schema=None) as batch_op:
        batch_op.drop_index("ix_episodes_team_status")
