"""Pydantic's reports on settings and on configuration files, as sentences that name the field
and say what it must be: read by whoever set the ward up, not by a programmer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# What a value of each kind must be, by pydantic's error type.
_MUST_BE = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text",
    "list_type": "a list (lines starting with -)",
    "dict_type": "a mapping (lines of name: value)",
    "model_type": "a mapping (lines of name: value)",
    "url_parsing": "a URL such as https://example.org",
    "url_scheme": "a URL such as https://example.org",
}


def sentences(
    error: ValidationError,
    field_name: Callable[[tuple[int | str, ...]], str] | None = None,
    *,
    show_input: bool = True,
) -> list[str]:
    """One "FIELD: what is wrong" a problem. ``field_name(loc)`` names a field as its reader
    knows it (e.g. the environment variable; default: the path with dots). ``show_input``:
    quote the value given (never for settings: they hold secrets)."""
    name = field_name or dotted
    return [
        sentence(name(details["loc"]), details, show_input=show_input) for details in error.errors()
    ]


def dotted(loc: tuple[int | str, ...]) -> str:
    """``teams[2].escalation.amber[1].notify``: positions counted from 1, as people do."""
    text = ""
    for part in loc:
        text += f"[{part + 1}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text or "the file"


_BOUNDS = {
    "greater_than_equal": "at least",
    "greater_than": "more than",
    "less_than_equal": "at most",
    "less_than": "less than",
}


def sentence(field: str, details: ErrorDetails, *, show_input: bool = True) -> str:
    kind, given = details["type"], details.get("input")
    context = details.get("ctx") or {}
    quoted = show_input and given is not None and not isinstance(given, dict | list)
    shown = f", not {_short(given)}" if quoted else ""
    if kind == "missing":
        return f"{field}: required, but missing"
    if kind == "extra_forbidden":
        return f"{field}: not a known field (misspelt, or in the wrong place?)"
    if kind in _MUST_BE:
        return f"{field}: must be {_MUST_BE[kind]}{shown}"
    if kind in ("literal_error", "enum"):
        return f"{field}: must be one of {context.get('expected', '?')}{shown}"
    if kind in _BOUNDS:
        bound = next(iter(context.values()), "?")
        return f"{field}: must be {_BOUNDS[kind]} {bound}{shown}"
    reason = str(details["msg"]).removeprefix("Value error, ")
    return f"{field}: {reason[:1].lower()}{reason[1:]}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
