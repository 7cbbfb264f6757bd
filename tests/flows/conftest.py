"""Protocols for the clinical tests: the shipped spine pathways, their v1 files (as stored for
patients enrolled before v2, which must keep loading) and a non-spine fixture."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from flows.loading import parse_protocol
from flows.schema import Protocol

PROTOCOLS_DIR = Path(__file__).parents[2] / "flows" / "protocols"
FIXTURES_DIR = Path(__file__).parent / "fixtures"


@cache  # a protocol is frozen: parsing a file once a run is enough
def load(path: Path) -> Protocol:
    return parse_protocol(path.read_text(encoding="utf-8"), path.name)


@pytest.fixture(scope="session")
def miss() -> Protocol:
    return load(PROTOCOLS_DIR / "spine-miss-lumbar.yaml")


@pytest.fixture(scope="session")
def open_lumbar() -> Protocol:
    return load(PROTOCOLS_DIR / "spine-open-lumbar.yaml")


SPINE = ("spine-miss-lumbar", "spine-open-lumbar", "spine-miss-fusion", "spine-open-fusion")


@pytest.fixture(scope="session", params=SPINE)
def spine(request: pytest.FixtureRequest) -> Protocol:
    """Each spine pathway in turn: the rules are the same in all four."""
    return load(PROTOCOLS_DIR / f"{request.param}.yaml")


@pytest.fixture(scope="session")
def miss_v1() -> Protocol:
    """The MIS pathway as shipped in v1 (stored for the patients enrolled on it)."""
    return load(FIXTURES_DIR / "v1" / "spine-miss-lumbar.yaml")


@pytest.fixture(scope="session")
def hernia() -> Protocol:
    """A made-up non-spine protocol (a test fixture, not clinical advice)."""
    return load(FIXTURES_DIR / "hernia-test-fixture.yaml")


EditMiss = Callable[..., Protocol]


@pytest.fixture(scope="session")
def edit_miss() -> EditMiss:
    """The v1 MIS protocol with some of its text replaced: ``edit_miss((old, new), ...)``
    (the file format's checks, tried on a file whose text the tests know)."""
    text = (FIXTURES_DIR / "v1" / "spine-miss-lumbar.yaml").read_text(encoding="utf-8")

    def edit(*replacements: tuple[str, str]) -> Protocol:
        edited = text
        for old, new in replacements:
            assert edited.count(old) == 1, f"{old!r} is not in the protocol exactly once"
            edited = edited.replace(old, new)
        return parse_protocol(edited, "edited.yaml")

    return edit
