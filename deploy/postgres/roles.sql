-- The application's own role on PostgreSQL: it reads and writes the program's tables, but
-- may only read and append to the audit log, and only read its checkpoints (which the
-- function audit_checkpoint() appends). Nobody connected as it can cut the audit trail.
--
-- Run it once, connected to the program's database as the role that owns the database and
-- runs the migrations (`eras db upgrade`), before or after them; then give eras_app a
-- password (docs/SECURITY.md, "The database's roles"). Running it again changes nothing.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eras_app') THEN
        CREATE ROLE eras_app LOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO eras_app;

-- Tables and sequences the migrations create from now on (they run as this role).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO eras_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO eras_app;

-- Those the migrations already created.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO eras_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO eras_app;

-- The audit log is appended to, never changed. (The migration that creates the checkpoints
-- takes these back as well, when this file ran before it.)
DO $$
BEGIN
    IF to_regclass('public.audit_log') IS NOT NULL THEN
        REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM eras_app;
    END IF;
    IF to_regclass('public.audit_checkpoints') IS NOT NULL THEN
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM eras_app;
    END IF;
END
$$;
