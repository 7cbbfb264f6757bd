"""Whether a name someone typed is a time zone a schedule can be kept in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# The server's own zone, under a name that looks like one: a patient's check-ins must not
# move with wherever the server happens to run.
NOT_A_PLACE = frozenset({"localtime"})


def is_time_zone(name: str) -> bool:
    """True for an IANA time zone name such as Europe/Madrid.

    ZoneInfo reads the name as a path into the time zone database: besides not finding it,
    it fails with ValueError (not a plain relative path), IsADirectoryError ("Europe" is a
    folder) or another OSError (a name too long for a file name).
    """
    if name in NOT_A_PLACE:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
