"""From the text of a protocol file to a checked, ready-to-score protocol."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from flows.checks import check_protocol
from flows.compiled import compile_protocol
from flows.issues import Issue, ProtocolInvalid, did_you_mean
from flows.schema import Protocol
from flows.schema.common import Strict
from flows.schema.conditions import CONDITION_KINDS
from flows.yaml_source import Located, load_yaml, where


def parse_protocol(text: str, source: str) -> Protocol:
    """Read, validate and cross-check a protocol file's text; compile its rules.

    ``source`` names the file in messages. Raises ProtocolInvalid with the problems and their
    lines, found stage by stage: YAML, then the file format, then the cross-checks; the first
    stage that finds problems reports all of its own.
    """
    located = load_yaml(text, source)
    try:
        protocol = Protocol.model_validate(located.data)
    except ValidationError as exc:
        raise ProtocolInvalid(_format_issues(exc, located, source)) from None
    problems = check_protocol(protocol)
    if problems:
        raise ProtocolInvalid(
            _issue(located, source, problem.path, problem.message, field=False)
            for problem in problems
        )
    compile_protocol(protocol)  # compile now, so a broken rule shows at load time
    return protocol


def _issue(
    located: Located, source: str, loc: Sequence[str | int], message: str, *, field: bool
) -> Issue:
    """An issue on the line of ``loc``, its message led by the entry it is about."""
    place = where(located.data, located.resolve(loc), field=field)
    if place and not message.startswith(f"{place}:"):
        message = f"{place}: {message}"
    return Issue(source, located.line(loc), message)


def _format_issues(exc: ValidationError, located: Located, source: str) -> Iterator[Issue]:
    for error in exc.errors():
        loc = error["loc"]
        if error["type"] == "value_error" and loc and loc[-1] in CONDITION_KINDS:
            loc = loc[:-1]  # a whole condition is wrong; its union tag is not a key to name
        yield _issue(located, source, loc, _explain(error), field=True)


def _all_keys() -> list[str]:
    """Every key the file format knows, for "did you mean" on an unknown key."""
    keys: set[str] = set()
    pending: list[type[BaseModel]] = [Strict]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        keys.update(field.alias or name for name, field in model.model_fields.items())
    return sorted(keys)


_PATTERN_ADVICE = {
    r"^[a-z][a-z0-9_]*$": "an id is lower-case letters, digits and _ (starting with a letter)",
    r"^[a-z][a-z0-9-]*$": "a protocol id is lower-case letters, digits and - (e.g. spine-x)",
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$": "write a time as HH:MM in quotes, e.g. '09:00'",
    r"^[a-z]{2,3}(-[A-Z]{2})?$": "a language is a code such as en, es or pt-BR",
}


def _quoted(words: str) -> list[str]:
    return re.findall(r"'([^']*)'", words)


def _explain(error: ErrorDetails) -> str:
    """Pydantic's message, reworded into what to change in the file."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    if kind == "missing":
        return f"missing key {error['loc'][-1]!r}"
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        return f"unknown key {key!r}{did_you_mean(key, _all_keys())}"
    if kind in ("literal_error", "enum"):
        expected = _quoted(str(ctx.get("expected", "")))
        return f"{value!r} is not one of {', '.join(expected)}{did_you_mean(str(value), expected)}"
    if kind == "union_tag_invalid":
        expected = _quoted(str(ctx.get("expected_tags", "")))
        tag = str(ctx.get("tag"))
        return f"unknown type {tag!r}{did_you_mean(tag, expected)} (types: {', '.join(expected)})"
    if kind == "union_tag_not_found":
        return f"missing key {str(ctx.get('discriminator', '')).strip(chr(39))!r}"
    if kind == "string_pattern_mismatch":
        advice = _PATTERN_ADVICE.get(str(ctx.get("pattern")), f"must match {ctx.get('pattern')}")
        return f"{value!r}: {advice}"
    if kind == "string_type" and isinstance(value, int | float | bool):
        return f"{value!r} must be text here: put it in quotes"
    if kind in ("bool_type", "bool_parsing"):
        return f"{value!r} must be yes or no"
    message = str(error["msg"]).removeprefix("Value error, ")
    # "Input should be…" reads better after a colon as "input should be…"; "POD…" stays.
    return message[:1].lower() + message[1:] if message[1:2].islower() else message
