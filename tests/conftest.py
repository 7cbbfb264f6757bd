"""Shared test set-up; fixtures live in ``tests/fixtures/`` and are plugged in here."""

from __future__ import annotations

pytest_plugins = [
    "tests.fixtures.databases",
    "tests.fixtures.telegram",
    "tests.fixtures.journey",
    "tests.fuzzing.plugin",
]
