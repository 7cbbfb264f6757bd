"""Index check-ins by whether they were reminded, for the dispatcher's reminder question

Revision ID: 0017
Revises: 0015
Create Date: 2026-12-07 16:20:00

At every tick the dispatcher asks which sent check-ins are past their reminder time and not
yet reminded. The (status, remind_at) index found every sent check-in past its reminder
time, most of them reminded already with their windows still open, and the database read
each one to drop it: about a tenth of the patients at every tick (10,000 rows at 100,000
patients), with nothing to do. With reminded_at before remind_at the range holds only the
check-ins still to be reminded.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_reminder_due", ["status", "reminded_at", "remind_at"])
        batch_op.drop_index("ix_checkins_status_remind_at")


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_status_remind_at", ["status", "remind_at"])
        batch_op.drop_index("ix_checkins_reminder_due")
