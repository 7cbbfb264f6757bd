"""Wrong links are also counted by how they begin

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 13:30:00

The limit on guessing links was per account and, for everyone together, a lock that many
accounts could trip to keep every patient out. Now it is per account and per token prefix
(guesses around one link from many accounts), and everyone's count only alerts the admins.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("link_failures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_prefix", sa.String(length=8), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_link_failures_token_prefix"), ["token_prefix", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("link_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_link_failures_token_prefix"))
        batch_op.drop_column("token_prefix")
