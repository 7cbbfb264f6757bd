"""Which typed names are time zones (for patients' /timezone and the admin's --tz)."""

from __future__ import annotations

import pytest

from bot.time_zones import is_time_zone, suggest_time_zone


@pytest.mark.parametrize("name", ["Europe/Madrid", "Asia/Kolkata", "America/New_York", "UTC"])
def test_iana_names_are_time_zones(name: str) -> None:
    assert is_time_zone(name)


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Madrid",
        "europe/madrid",
        "Europe",  # a folder of the database
        "Europe/",
        "Europe/./Madrid",
        "../../etc/passwd",
        "/etc/localtime",
        "zone.tab",  # a file of the database that is no zone
        "Europe/" + "x" * 300,  # too long for a file name
        "localtime",  # the server's zone
    ],
)
def test_other_names_are_not(name: str) -> None:
    assert not is_time_zone(name)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Madrid", "Europe/Madrid"),
        ("europe/madrid", "Europe/Madrid"),
        ("  new york ", "America/New_York"),
        ("Madird", "Europe/Madrid"),  # a slip of the keyboard
        ("kolkata", "Asia/Kolkata"),
    ],
)
def test_a_near_miss_suggests_the_zone_meant(typed: str, meant: str) -> None:
    assert suggest_time_zone(typed) == meant


@pytest.mark.parametrize("typed", ["", "Europe", "Quorvania/Plimsoll", "x" * 300, "localtime"])
def test_nothing_close_suggests_nothing(typed: str) -> None:
    assert suggest_time_zone(typed) is None
