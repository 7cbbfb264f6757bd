"""When a follow-up last came back from a pause or a hold

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-07 19:40:00

A check-in that fell due while the follow-up was paused (by the patient) or on hold (by the
team) is sent when it resumes, if its window is still open. It was introduced as "late:
we could not send it on time", which is not what happened. Kept on the episode, the time
it resumed lets the check-in count its lateness from then.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0022"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(
            sa.Column("resumed_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("resumed_at")
