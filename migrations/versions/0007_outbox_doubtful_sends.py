"""Count an outbox message's doubtful sends

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 03:05:00

A send that may or may not have arrived was followed by one more and then given up, which
lost alert cards when two doubts came running (a process killed mid-request, then a
timeout). Each doubt is now counted and followed by another send, up to a limit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("doubtful_sends", sa.Integer(), server_default="0", nullable=False)
        )
    # What was recorded before: a doubt at least once, and two for one given up.
    op.execute(
        "UPDATE outbox_messages SET doubtful_sends = CASE WHEN status = 'uncertain' THEN 2 "
        "ELSE 1 END WHERE uncertain_at IS NOT NULL OR status = 'uncertain'"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_column("doubtful_sends")
