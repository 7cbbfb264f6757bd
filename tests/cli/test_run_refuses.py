"""`eras run` refuses, in one line and before touching Telegram, a database it can't use."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.cli.run import hold_the_database

READY = {
    "ERAS_TELEGRAM_TOKEN": "123:abc",
    "ERAS_EMERGENCY_NUMBER": "112",
    "ERAS_AUDIT_KEY": "k" * 32,
    # Nothing listens here: a bot that got past the checks would fail loudly, not hang.
    "ERAS_TELEGRAM_API_URL": "http://127.0.0.1:9",
}


def run(url: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ERAS_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env={**clean, **READY, "ERAS_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_database_that_needs_upgrading_is_one_line_and_exit_2(empty_database: str) -> None:
    result = run(empty_database)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "eras: not starting: the database has no tables yet: run `eras db upgrade` first"
    )


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_a_second_run_on_the_same_sqlite_file_says_so_and_exits(database_url: str) -> None:
    first = hold_the_database(database_url)  # as the first `eras run` does
    assert first is not None
    result = run(database_url)
    assert result.returncode == 2
    path = database_url.split("///", 1)[1]
    assert (
        result.stderr.strip()
        == f"eras: not starting: another `eras run` is using {path}; stop it first"
    )
