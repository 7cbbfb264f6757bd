"""Fixtures of the fuzz tests, and how many updates they fed, at the end of the run."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.journey import Journey
from tests.fuzzing.harness import TALLY, Failures, Fuzzing, examples_for
from tests.fuzzing.world import Cast, build_world


@pytest.fixture
def failures() -> Iterator[Failures]:
    """Everything logged at WARNING or above while the test runs."""
    watching = Failures()
    root = logging.getLogger()
    root.addHandler(watching)
    try:
        yield watching
    finally:
        root.removeHandler(watching)


@pytest.fixture
def fuzzing(request: pytest.FixtureRequest, db_backend: str, failures: Failures) -> Fuzzing:
    return Fuzzing(request.node.nodeid, examples_for(db_backend), failures)


@pytest.fixture
async def cast(journey: Journey) -> Cast:
    return await build_world(journey)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "fuzzing" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow(seconds=30))  # hundreds of examples, one bot


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker of pytest-xdist hands its count to the main process, which prints them."""
    handed = getattr(session.config, "workeroutput", None)
    if handed is not None:
        handed["fuzzed_updates"] = dict(TALLY)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    for test, count in getattr(node, "workeroutput", {}).get("fuzzed_updates", {}).items():
        TALLY[test] = TALLY.get(test, 0) + count


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY:
        return
    terminalreporter.section("fuzzed updates")
    for test, count in sorted(TALLY.items()):
        terminalreporter.write_line(f"{count:>8,}  {test}")
    terminalreporter.write_line(f"{sum(TALLY.values()):>8,}  in all")
