"""flows/ is the clinic in pure Python: no database, Telegram, I/O, clock or randomness."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

FLOWS = Path(__file__).parents[2] / "flows"
MODULES = sorted(FLOWS.rglob("*.py"))

THIRD_PARTY_ALLOWED = {"pydantic", "pydantic_core", "yaml"}
# Standard-library modules that would mean I/O, the clock, randomness or concurrency.
STDLIB_FORBIDDEN = {
    "asyncio", "glob", "http", "importlib", "io", "logging", "os", "pathlib", "random",
    "secrets", "shutil", "socket", "sqlite3", "subprocess", "sys", "tempfile", "threading",
    "time", "urllib", "uuid",
}  # fmt: skip
# Calls that read the clock or the outside world, whatever module they come from.
# (``time`` is not here: datetime.time(9, 0) is a time of day, and the module is forbidden.)
FORBIDDEN_CALLS = {"now", "today", "utcnow", "open", "input", "print", "getenv"}


def imported_modules(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def called_names(tree: ast.Module) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def allowed(module: str) -> bool:
    top = module.split(".")[0]
    if top == "flows" or top in THIRD_PARTY_ALLOWED:
        return True
    return (
        top in sys.stdlib_module_names and top not in STDLIB_FORBIDDEN and top != "__future__"
    ) or top == "__future__"


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(FLOWS)))
def test_a_flows_module_imports_only_the_standard_library_pydantic_and_yaml(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    assert sorted(m for m in imported_modules(tree) if not allowed(m)) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(FLOWS)))
def test_a_flows_module_reads_no_clock_and_opens_nothing(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    assert sorted(called_names(tree) & FORBIDDEN_CALLS) == []


@pytest.mark.parametrize(
    ("source", "bad"),
    [
        ("import sqlalchemy", ["sqlalchemy"]),
        ("from telegram.ext import Application", ["telegram.ext"]),
        ("from db.models import Patient", ["db.models"]),
        ("import bot.settings", ["bot.settings"]),
        ("import random, json", ["random"]),
        ("from pathlib import Path", ["pathlib"]),
    ],
)
def test_the_import_rule_would_catch(source: str, bad: list[str]) -> None:
    tree = ast.parse(source)
    assert sorted(m for m in imported_modules(tree) if not allowed(m)) == bad


def test_the_clock_rule_would_catch() -> None:
    tree = ast.parse("from datetime import datetime\nx = datetime.now()\nopen('f')")
    assert called_names(tree) & FORBIDDEN_CALLS == {"now", "open"}


def test_there_are_flows_modules_to_check() -> None:
    assert len(MODULES) > 10
