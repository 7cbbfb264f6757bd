"""Which typed names are time zones (for patients' /timezone and the admin's --tz)."""

from __future__ import annotations

import pytest

from bot.time_zones import is_time_zone


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
