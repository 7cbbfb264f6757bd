"""Updates are kept with their chat, strangers' marked, and strangers counted by the hour

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 14:00:00

The inbox handled every update strictly in order, so one account sending thousands of
messages held every patient's reply behind them. Updates now carry their chat: order is
kept within a chat, chats are handled side by side. Updates from accounts that are
neither staff nor patients are marked, to be deleted after a few days, and counted per
account and hour under a keyed hash; the count becomes one audit row when the hour closes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("from_stranger", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_inbox_updates_chat_id"), ["chat_id"], unique=False)
    op.create_table(
        "stranger_tallies",
        sa.Column("hour", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("updates", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "sender", name=op.f("pk_stranger_tallies")),
    )


def downgrade() -> None:
    op.drop_table("stranger_tallies")
    with op.batch_alter_table("inbox_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_updates_chat_id"))
        batch_op.drop_column("from_stranger")
        batch_op.drop_column("chat_id")
