"""Is the database at the revision this program needs? ``eras run`` refuses to start
otherwise; ``eras doctor`` says the same as a finding."""

from __future__ import annotations

from bot.reports.doctor.findings import Misconfiguration

CHECKED = "the database is upgraded"


def upgrade_needed(url: str) -> str | None:
    """Why the database cannot serve this program as it is, or None when it can.

    Reads the revision in its own event loop: call it outside one."""
    from sqlalchemy.exc import SQLAlchemyError

    from migrations.runner import current_revision, head_revision

    try:
        current = current_revision(url)
    except (SQLAlchemyError, OSError) as error:
        return f"cannot reach the database ({type(error).__name__})"
    if current != head_revision():
        at = f"is at revision {current}" if current else "has no tables yet"
        return f"the database {at}: run `eras db upgrade` first"
    return None


def schema_findings(url: str) -> list[Misconfiguration]:
    reason = upgrade_needed(url)
    if reason is None:
        return []
    return [Misconfiguration("database_not_upgraded", reason[0].upper() + reason[1:] + ".")]
