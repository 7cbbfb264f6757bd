"""Heartbeats: each bot process records its last dispatcher tick, for `eras health`

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 23:28:05.755657
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "heartbeats",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("started_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_tick_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("owner", name=op.f("pk_heartbeats")),
    )
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_heartbeats_last_tick_at"), ["last_tick_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("heartbeats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_heartbeats_last_tick_at"))

    op.drop_table("heartbeats")
