"""Index only the check-ins not yet reminded, for the dispatcher's reminder question

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 16:40:00

At every tick the dispatcher asks which sent check-ins are past their reminder time and not
yet reminded. The (status, remind_at) index found every sent check-in past its reminder
time, most of them reminded already with their windows still open, and the database read
each one to drop it: a tenth of the patients at every tick (about 10,000 rows at 100,000
patients) with nothing to do. The same index over the check-ins not yet reminded holds
only those the question is after.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOT_REMINDED = sa.text("reminded_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_reminder_due",
            ["status", "remind_at"],
            sqlite_where=NOT_REMINDED,
            postgresql_where=NOT_REMINDED,
        )
        batch_op.drop_index("ix_checkins_status_remind_at")


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_status_remind_at", ["status", "remind_at"])
        batch_op.drop_index("ix_checkins_reminder_due")
