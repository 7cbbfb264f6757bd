"""No module imports itself through others, and no two parts of bot import each other.

import-linter (``make lint``) checks the parts of each package for cycles, but not bot's own
parts: bot.telegram holds an edge (its handlers, at the top) and renderers (below the use
cases), so as one part it would always close a circle. Here it counts as its parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import grimp
import pytest

ROOTS = ("bot", "db", "flows", "migrations")


def cycles(imports: Mapping[str, Iterable[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one node (Tarjan's, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(imports.get(target, ())))))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(group)
    return found


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*ROOTS, cache_dir=None)


def module_cycles(graph: grimp.ImportGraph) -> set[frozenset[str]]:
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    return {frozenset(group) for group in cycles(imports)}


def part_of_bot(module: str) -> str | None:
    names = module.split(".")
    if names[0] != "bot" or len(names) < 2:
        return None
    return ".".join(names[:3] if names[1] == "telegram" and len(names) > 2 else names[:2])


def test_the_cycle_finder_finds_cycles_and_nothing_else() -> None:
    imports = {"a": ["b"], "b": ["c", "d"], "c": ["a"], "d": ["e"], "e": ["d"], "f": ["a"]}
    assert sorted(map(sorted, cycles(imports))) == [["a", "b", "c"], ["d", "e"]]
    assert cycles({"a": ["b"], "b": ["c"]}) == []


def test_no_module_imports_itself_through_others(graph: grimp.ImportGraph) -> None:
    circles = [sorted(group) for group in module_cycles(graph)]
    assert circles == [], f"modules importing one another: {circles}"


def test_no_two_parts_of_bot_import_each_other(graph: grimp.ImportGraph) -> None:
    imports: dict[str, set[str]] = {}
    for module in graph.modules:
        part = part_of_bot(module)
        if part is None:
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            other = part_of_bot(imported)
            if other is not None and other != part:
                imports.setdefault(part, set()).add(other)
    circles = [sorted(group) for group in cycles(imports)]
    assert circles == [], f"parts of bot importing one another: {circles}"
