"""A role for each team a staff member is in; each team's emergency number and phone

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 19:20:00

A staff member may be a nurse of one ward and an admin of another, so the role moves from
``staff`` to ``team_members``: every membership takes the role its staff member had, and
nothing else changes. Each team may have its own emergency number and phone (the
deployment's ``ERAS_EMERGENCY_NUMBER`` stays the default). Going down, a staff member keeps
the role of their first team.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _role(nullable: bool) -> sa.Column[str]:
    kind = sa.Enum("nurse", "surgeon", "admin", name="staffrole", native_enum=False, length=24)
    return sa.Column("role", kind, nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emergency_number", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=32), nullable=True))
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.add_column(_role(nullable=True))
    op.execute(
        "UPDATE team_members SET role = "
        "(SELECT staff.role FROM staff WHERE staff.id = team_members.staff_id)"
    )
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.alter_column(
            "role",
            existing_type=sa.String(length=24),
            nullable=False,
        )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_column("role")


def downgrade() -> None:
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(_role(nullable=True))
    op.execute(
        "UPDATE staff SET role = COALESCE("
        "(SELECT m.role FROM team_members m WHERE m.staff_id = staff.id "
        "ORDER BY m.team_id LIMIT 1), 'nurse')"
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=sa.String(length=24), nullable=False)
    with op.batch_alter_table("team_members", schema=None) as batch_op:
        batch_op.drop_column("role")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("phone")
        batch_op.drop_column("emergency_number")
