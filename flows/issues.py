"""What is wrong with a protocol file, each problem with the line to look at."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches


@dataclass(frozen=True, order=True)
class Issue:
    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class ProtocolInvalid(ValueError):
    """A protocol file cannot be used; ``issues`` says every reason found, in line order."""

    def __init__(self, issues: Iterable[Issue]) -> None:
        self.issues: tuple[Issue, ...] = tuple(sorted(issues))
        super().__init__("\n".join(str(issue) for issue in self.issues))


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """ "; did you mean 'x'?" when ``word`` looks like a typo of a known name, else ""."""
    close = get_close_matches(word, sorted(set(known)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown(kind: str, word: str, known: Sequence[str]) -> str:
    """E.g. "unknown item 'temprature'; did you mean 'temperature'?"."""
    return f"unknown {kind} {word!r}{did_you_mean(word, known)}"


@dataclass(frozen=True)
class Problem:
    """A finding of the cross-checks, located by its path in the file's data."""

    path: tuple[str | int, ...]
    message: str
