"""Caregivers: a second Telegram account that answers check-ins for a patient

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 19:10:00

A patient, or their team, can add a caregiver (``caregivers``), linked with its own
single-use link (``link_tokens.caregiver_id``). Each answer says who gave it
(``answers.answered_by``: the patient, or a caregiver); answers given before say patient.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "caregivers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("linked_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.id"], name=op.f("fk_caregivers_patient_id_patients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caregivers")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_caregivers_telegram_user_id")),
    )
    with op.batch_alter_table("caregivers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_caregivers_patient_id"), ["patient_id"], unique=False)
    with op.batch_alter_table("link_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("caregiver_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_link_tokens_caregiver_id"), ["caregiver_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_link_tokens_caregiver_id_caregivers"),
            "caregivers",
            ["caregiver_id"],
            ["id"],
        )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("answered_by", sa.String(length=16), server_default="patient", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_column("answered_by")
    with op.batch_alter_table("link_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_link_tokens_caregiver_id_caregivers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_link_tokens_caregiver_id"))
        batch_op.drop_column("caregiver_id")
    with op.batch_alter_table("caregivers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_caregivers_patient_id"))
    op.drop_table("caregivers")
