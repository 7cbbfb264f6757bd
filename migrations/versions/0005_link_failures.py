"""Links that could not be used, counted per Telegram account to stop guessing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:28:04

A table of its own rather than the audit log: the account id is personal data, and rows
here are deleted once they no longer count (or when the patient is erased).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "link_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_failures")),
    )
    with op.batch_alter_table("link_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_link_failures_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_link_failures_telegram_user_id"),
            ["telegram_user_id", "at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("link_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_failures_telegram_user_id"))
        batch_op.drop_index(batch_op.f("ix_link_failures_at"))
    op.drop_table("link_failures")
