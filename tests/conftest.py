"""Shared test set-up.

PostgreSQL tests run when ``ERAS_TEST_POSTGRES_URL`` names a server (each run creates and
drops its own database there). Without it they are skipped with a visible reason, unless
``ERAS_REQUIRE_POSTGRES=1``, which turns that skip into a failure (CI sets both).
"""

from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get("ERAS_TEST_POSTGRES_URL", "").strip()
REQUIRE_POSTGRES = os.environ.get("ERAS_REQUIRE_POSTGRES", "") == "1"


def pytest_report_header(config: pytest.Config) -> str:
    if POSTGRES_URL:
        return "PostgreSQL tests: on (ERAS_TEST_POSTGRES_URL is set)"
    if REQUIRE_POSTGRES:
        return "PostgreSQL tests: REQUIRED but ERAS_TEST_POSTGRES_URL is not set: they will fail"
    return "PostgreSQL tests: SKIPPED (set ERAS_TEST_POSTGRES_URL to run them)"


def require_postgres() -> str:
    """The server URL, or skip (fail when PostgreSQL is required) when there is none."""
    if POSTGRES_URL:
        return POSTGRES_URL
    if REQUIRE_POSTGRES:
        pytest.fail("ERAS_REQUIRE_POSTGRES=1 but ERAS_TEST_POSTGRES_URL is not set")
    pytest.skip("PostgreSQL not configured: set ERAS_TEST_POSTGRES_URL to run this test")


# The Telegram sandbox: ``sandbox``, ``bot`` and ``application`` fixtures.
from tests.sandbox_fixtures import application, bot, sandbox  # noqa: E402, F401
