"""The audit chain's head is checkpointed where the application cannot rewrite it

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 13:00:00

The hash chain finds an edited or a removed row, but not rows cut from its end: what is
left still chains. A checkpoint (row count, last hash) taken every minute anchors the head.

On PostgreSQL the application runs as a role of its own (``deploy/postgres/roles.sql``): it
may read and append to ``audit_log``, read ``audit_checkpoints``, and call
``audit_checkpoint()``, a SECURITY DEFINER function owned by the migrations' role that counts
the chain itself and appends the checkpoint. Grants the application's role was given by
default on these two tables (anything beyond that) are taken back here. On SQLite, where
there are no roles, the program seals each checkpoint with an HMAC instead.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSAL = "audit_checkpoints is append-only"
# The same lock as db.audit's appends: the head counted is one no append is changing.
APPEND_LOCK = 7_143_920_211


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("seal", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    if op.get_bind().dialect.name != "postgresql":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_checkpoints_no_{event.lower()} BEFORE {event} "
                f"ON audit_checkpoints BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
            )
        return
    op.execute(
        f"""
        CREATE FUNCTION audit_checkpoints_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{REFUSAL}' USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE "
        "ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_refuse_change()"
    )
    # The head is counted here, not taken from the caller: nobody can checkpoint a head
    # that is not the chain's. A new row only when the head moved.
    op.execute(
        f"""
        CREATE FUNCTION audit_checkpoint(taken_at timestamptz) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DECLARE
            counted bigint;
            head varchar(64);
        BEGIN
            PERFORM pg_advisory_xact_lock({APPEND_LOCK});
            SELECT count(*) INTO counted FROM audit_log;
            SELECT hash INTO head FROM audit_log ORDER BY id DESC LIMIT 1;
            IF counted = 0 OR counted = (
                SELECT row_count FROM audit_checkpoints ORDER BY id DESC LIMIT 1
            ) THEN
                RETURN NULL;
            END IF;
            INSERT INTO audit_checkpoints (at, row_count, last_hash)
                VALUES (taken_at, counted, head);
            RETURN counted;
        END
        $$
        """
    )
    # Whatever the application's role was granted by default beyond reading and appending.
    op.execute(
        """
        DO $$
        DECLARE
            grantee_name text;
        BEGIN
            FOR grantee_name IN
                SELECT DISTINCT a.grantee::regrole::text
                FROM pg_class c, aclexplode(c.relacl) a
                WHERE c.oid IN ('audit_log'::regclass, 'audit_checkpoints'::regclass)
                  AND a.grantee <> c.relowner AND a.grantee <> 0
            LOOP
                EXECUTE format(
                    'REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM %s', grantee_name);
                EXECUTE format(
                    'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM %s',
                    grantee_name);
            END LOOP;
        END
        $$
        """
    )
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC")
    op.execute("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM PUBLIC")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_checkpoint(timestamptz)")
        op.execute("DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints")
        op.execute("DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints")
        op.execute("DROP FUNCTION audit_checkpoints_refuse_change()")
    else:
        for event in ("update", "delete"):
            op.execute(f"DROP TRIGGER audit_checkpoints_no_{event}")
    op.drop_table("audit_checkpoints")
