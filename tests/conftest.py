"""Shared test set-up; fixtures live in ``tests/fixtures/`` and are plugged in here."""

from __future__ import annotations

import pytest
from hypothesis import settings

# The property tests run hypothesis's default of 100 examples each in `make test`;
# `make properties` runs them ten times deeper (``--hypothesis-profile=deep``).
settings.register_profile("deep", max_examples=1000)

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.telegram",
    "tests.fixtures.journey",
    "tests.fixtures.logs",
    "tests.fixtures.browser",
    "tests.fuzzing.plugin",
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, the slowest (``slow(seconds=...)``, a rough guess) first of
    all: on several workers they then run beside the rest, not after it."""

    def slowness(item: pytest.Item) -> float:
        marker = item.get_closest_marker("slow")
        return -1.0 if marker is None else float(marker.kwargs.get("seconds", 0))

    items.sort(key=slowness, reverse=True)
