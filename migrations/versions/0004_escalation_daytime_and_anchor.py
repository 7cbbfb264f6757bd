"""Escalation: a team's own steps may count daytime hours; an alert's chain has its own start

A tier that rises restarts the chain from that moment; later steps were counted from the
alert's opening and could come too early.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:32:35.249653
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_started_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("daytime", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("escalation_steps", schema=None) as batch_op:
        batch_op.drop_column("daytime")

    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("escalation_started_at")
