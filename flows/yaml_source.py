"""Read protocol YAML into plain data while remembering the line of every key and entry.

PyYAML's composer gives nodes with positions; we build the data from them ourselves so that
(a) every path ``("rules", 3, "when")`` maps to a line for error messages, (b) a key given
twice is an error instead of silently keeping the last one, and (c) a time written as
``18:00`` stays the text "18:00" (YAML 1.1 would read it as the number 1080). Keys are always
read as text, so a language called ``no`` is not the boolean false.

A protocol file is written by people, for people to review, so what YAML offers beyond that
is refused before anything is built: anchors and aliases (each entry is written out, and a
kilobyte of aliases cannot grow into gigabytes), a file over ``MAX_BYTES``, and nesting
deeper than ``MAX_DEPTH``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from flows.issues import Issue, ProtocolInvalid

Path = tuple[str | int, ...]
MAX_BYTES = 1_000_000  # the shipped protocols are about 30 KB
MAX_DEPTH = 24  # the shipped protocols nest 8 deep
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


@dataclass
class Located:
    """Plain data (dicts, lists, scalars) and the 1-based line of each path in it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def resolve(self, loc: Sequence[str | int]) -> Path:
        """The longest path along ``loc`` that exists in the file.

        Steps that are not in the file (pydantic's union tags, a missing key) are passed over.
        """
        path: Path = ()
        for step in loc:
            if (*path, step) in self.lines:
                path = (*path, step)
        return path

    def line(self, loc: Sequence[str | int]) -> int:
        return self.lines.get(self.resolve(loc), 1)


def load_yaml(text: str, source: str) -> Located:
    """Compose ``text`` into data with line numbers, or raise ProtocolInvalid."""
    size = len(text.encode())
    if size > MAX_BYTES:
        raise ProtocolInvalid(
            [Issue(source, 1, f"the file is {size:,} bytes; a protocol file is at most 1 MB")]
        )
    try:
        _refuse_expansion(text, source)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ProtocolInvalid([Issue(source, line, _syntax_message(exc))]) from None
    if root is None:
        raise ProtocolInvalid([Issue(source, 1, "the file is empty")])
    if not isinstance(root, MappingNode):
        raise ProtocolInvalid(
            [Issue(source, _line(root), "a protocol file is a mapping: id:, version:, items:, …")]
        )
    builder = _Builder(source)
    located = Located(builder.build(root, ()), builder.lines)
    if builder.issues:
        raise ProtocolInvalid(builder.issues)
    return located


def _refuse_expansion(text: str, source: str) -> None:
    """Read the file's events (no data is built): anchors, aliases and deep nesting are
    refused at their line."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = int(event.start_mark.line) + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ProtocolInvalid(
                [
                    Issue(
                        source,
                        line,
                        "YAML anchors and aliases (& and *) are not allowed; write the entry out",
                    )
                ]
            )
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise ProtocolInvalid(
                    [Issue(source, line, f"nested more than {MAX_DEPTH} levels deep")]
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    problem = exc.problem or "cannot be read"
    if "'\\t'" in problem:
        return "YAML syntax error: a tab character; indent with spaces only"
    context = f" ({exc.context})" if exc.context else ""
    advice = ""
    if "flow" in (exc.context or ""):
        advice = "; inside { } or [ ], put text with , : ? [ ] { } in quotes"
    return f"YAML syntax error: {problem}{context}{advice}"


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[Path, int] = {}
        self.issues: list[Issue] = []
        self._scalars = SafeConstructor()

    def build(self, node: Node, path: Path) -> Any:
        self.lines.setdefault(path, _line(node))
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, index)) for index, child in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        if node.tag in _NUMBER_TAGS and ":" in node.value:
            return node.value  # a time of day such as 18:00, not YAML 1.1's base-60 number
        return self._scalars.construct_object(node)

    def _mapping(self, node: MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.issues.append(Issue(self.source, _line(key_node), "a key must be a word"))
                continue
            key = str(key_node.value)
            if key in result:
                first = self.lines[(*path, key)]
                self.issues.append(
                    Issue(
                        self.source,
                        _line(key_node),
                        f"key {key!r} given twice (first at line {first}); keep one",
                    )
                )
                continue
            # The key's own line: a nested block's first entry is on the line below it.
            self.lines[(*path, key)] = _line(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result


_ENTRIES = {"items": "item", "groups": "group", "rules": "rule", "milestones": "milestone"}


def dotted(path: Sequence[str | int]) -> str:
    """``("when", "all", 0)`` as ``when.all[0]``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}" if text else step
    return text


def where(data: Any, path: Path, *, field: bool) -> str:
    """Name the place a path points at, as a reviewer would: "rule 'fever_late'".

    Entries of items, groups, rules and milestones are named by their id; with ``field``
    the path inside the entry follows ("rule 'fever_late': when.all[0]").
    """
    head, rest = "", path
    if len(path) >= 2 and path[0] in _ENTRIES and isinstance(path[1], int):
        entries = data.get(path[0]) if isinstance(data, dict) else None
        entry = entries[path[1]] if isinstance(entries, list) else None
        ident = entry.get("id") if isinstance(entry, dict) else None
        name = repr(ident) if isinstance(ident, str) else f"#{path[1] + 1}"
        head, rest = f"{_ENTRIES[str(path[0])]} {name}", path[2:]
    elif not field and path:
        head, rest = str(path[0]), ()
    tail = dotted(rest) if field else ""
    return ": ".join(part for part in (head, tail) if part)
