"""Index check-ins for the dispatcher's window and reminder questions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 06:20:00

At every tick the dispatcher asks which check-ins' windows have closed and which need a
reminder. With only the (status, due_at) index, each question read every scheduled
check-in of every patient: 0.8 s a tick at 100,000 patients on SQLite.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_status_missed_at", ["status", "missed_at"])
        batch_op.create_index("ix_checkins_status_remind_at", ["status", "remind_at"])


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_status_remind_at")
        batch_op.drop_index("ix_checkins_status_missed_at")
