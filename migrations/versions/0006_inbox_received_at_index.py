"""Index the inbox by when updates arrived

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 02:40:00

A restarted poller resumes after the update received last rather than the highest id:
after a week without updates Telegram numbers new ones from a random point.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_updates_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_updates_received_at"))
