"""Index the outbox by status and priority

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 09:10:00

A sending round claims in order of priority, and while it lasts it looks every fraction of
a second for red flags written meanwhile. With only the (status, not_before) index, that
look read every pending message: thousands while a morning's check-ins go out.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_messages_status_priority", ["status", "priority", "id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_priority")
