"""The house's size rules (docs/ARCHITECTURE.md): a folder of ``bot/`` is one concept and
reads at a glance, at most twelve modules; a module does one job, in at most 400 lines."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "db", "flows")
MAX_MODULES = 12  # in a folder of bot/, beside its __init__ and __main__
MAX_LINES = 400


def _modules(folder: Path) -> list[Path]:
    return [p for p in folder.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]


def crowded_folders(root: Path) -> list[str]:
    return sorted(
        f"{folder.relative_to(root)}: {len(_modules(folder))} modules"
        for folder in [root / "bot", *(root / "bot").rglob("*")]
        if folder.is_dir() and len(_modules(folder)) > MAX_MODULES
    )


def long_modules(root: Path) -> list[str]:
    found = []
    for package in PACKAGES:
        for module in (root / package).rglob("*.py"):
            lines = len(module.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES:
                found.append(f"{module.relative_to(root)}: {lines} lines")
    return sorted(found)


def test_no_folder_of_bot_holds_more_than_twelve_modules() -> None:
    assert crowded_folders(ROOT) == []


def test_no_module_is_longer_than_400_lines() -> None:
    assert long_modules(ROOT) == []


def test_the_checks_find_a_crowded_folder_and_a_long_module(tmp_path: Path) -> None:
    crowded = tmp_path / "bot" / "crowded"
    crowded.mkdir(parents=True)
    for n in range(MAX_MODULES + 1):
        (crowded / f"m{n}.py").write_text("x = 1\n")
    (crowded / "__init__.py").write_text("")
    for package in PACKAGES[1:]:
        (tmp_path / package).mkdir()
    (tmp_path / "flows" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "flows" / "short.py").write_text("x = 1\n" * MAX_LINES)

    assert crowded_folders(tmp_path) == [f"bot/crowded: {MAX_MODULES + 1} modules"]
    assert long_modules(tmp_path) == [f"flows/long.py: {MAX_LINES + 1} lines"]
    crowded.joinpath("m0.py").unlink()
    assert crowded_folders(tmp_path) == []
