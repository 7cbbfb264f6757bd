"""Messages between a patient and their care team, and the team's notes

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 16:30:00

A patient's words, photo or voice message outside a check-in, and the team's replies, are
kept with the patient's record (``patient_messages``); so are the notes the team writes for
the record, on an alert or on the patient (``care_notes``), which never reach the patient.
Both are erased with the patient.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "patient_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=24), nullable=False),
        sa.Column("content", sa.String(length=24), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("file_id", sa.String(length=200), nullable=True),
        sa.Column("sent_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_patient_messages_episode_id_episodes")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_patient_messages_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_messages")),
    )
    with op.batch_alter_table("patient_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_messages_episode_id"), ["episode_id", "sent_at"], unique=False
        )

    op.create_table(
        "care_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("written_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_care_notes_alert_id_alerts")
        ),
        sa.ForeignKeyConstraint(
            ["episode_id"], ["episodes.id"], name=op.f("fk_care_notes_episode_id_episodes")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_care_notes_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_notes")),
    )
    with op.batch_alter_table("care_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_care_notes_episode_id"), ["episode_id", "written_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("care_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_care_notes_episode_id"))
    op.drop_table("care_notes")
    with op.batch_alter_table("patient_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patient_messages_episode_id"))
    op.drop_table("patient_messages")
