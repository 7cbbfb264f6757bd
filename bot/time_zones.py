"""Whether a name someone typed is a time zone a schedule can be kept in."""

from __future__ import annotations

import difflib
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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


def suggest_time_zone(typed: str) -> str | None:
    """The zone someone most likely meant: "Madrid" or "europe/madrid" → Europe/Madrid,
    "new york" → America/New_York, "Madird" → Europe/Madrid; None when nothing is close."""
    key = _key(typed)
    if not key:
        return None
    places = _places()
    if key in places:
        return places[key]
    close = difflib.get_close_matches(key, list(places), n=1, cutoff=0.8)
    return places[close[0]] if close else None


def _key(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())


@cache
def _places() -> dict[str, str]:
    """Each zone under its full name and under its city alone (the first zone of a
    region wins a city named twice, e.g. Europe/… before its legacy aliases)."""
    zones = sorted(
        (z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))),
        key=lambda z: (z.count("/"), z),
    )
    places: dict[str, str] = {}
    for zone in zones:
        places.setdefault(_key(zone), zone)
        places.setdefault(_key(zone.rsplit("/", 1)[1]), zone)
    return places
