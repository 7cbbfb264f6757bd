"""The database checks that every stored tier is a tier

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 10:00:00

Alerts, check-ins and escalation steps keep a tier as text. The program reads it back as
one of the four tiers, so a value that is none of them would stop whatever reads its row;
a CHECK constraint refuses it when it is written instead.

SQLite adds or drops a CHECK by copying the table (batch mode), with foreign keys off while
it does (see env.py).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tiers as they are at this revision (a later tier comes with its own migration).
TIERS = ("green", "amber", "red_urgent", "red_emergency")
TABLES = ("alerts", "checkins", "escalation_steps")


def upgrade() -> None:
    allowed = ", ".join(f"'{tier}'" for tier in TIERS)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(op.f(f"ck_{table}_tier"), f"tier IN ({allowed})")


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_tier"), type_="check")
