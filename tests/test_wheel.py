"""The wheel ships the program, its protocols, words and migrations, and nothing else.

Built from a copy of the checkout (so the build leaves nothing behind in it), with the
setuptools of the development environment rather than one fetched for the build.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUNK = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    ".*cache",
    ".hypothesis",
    "bench-results",
    "*.sqlite3*",
    ".coverage",
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("wheel")
    source, out = where / "source", where / "out"
    shutil.copytree(ROOT, source, ignore=JUNK)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--quiet",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("eras_spine_bot-*.whl")
    return built


@pytest.fixture(scope="module")
def wheel_files(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def test_the_wheel_holds_the_four_packages(wheel_files: set[str]) -> None:
    for package in ("bot", "db", "flows", "migrations"):
        assert f"{package}/__init__.py" in wheel_files
    assert {"bot/cli/__init__.py", "bot/telegram/handlers/patient.py", "db/models/alerts.py"} <= (
        wheel_files
    )


def test_the_wheel_holds_the_shipped_protocols_words_and_migrations(
    wheel_files: set[str],
) -> None:
    assert {
        "flows/protocols/spine-miss-lumbar.yaml",
        "flows/protocols/spine-open-lumbar.yaml",
        "flows/protocols/protocol.schema.json",
        "bot/locales/en.yaml",
        "bot/locales/es.yaml",
        "migrations/env.py",
        "migrations/script.py.mako",
        "migrations/versions/0001_core_domain.py",
        # The outcomes report's page: `eras report outcomes` renders it from the wheel.
        "bot/reports/outcomes/templates/outcomes.html",
    } <= wheel_files


def test_the_wheel_holds_no_benchmarks_chaos_or_tests(wheel_files: set[str]) -> None:
    stray = sorted(
        name
        for name in wheel_files
        if name.split("/")[0] in {"benchmarks", "tests", "docs", "protocols"}
        or "chaos" in name
        or "/tests/" in name
    )
    assert stray == []


def test_the_wheel_installs_the_eras_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(name).decode()
    assert "eras = bot.cli:main" in entry_points
