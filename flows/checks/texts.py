"""Every text in every language, and placeholders the renderer can fill."""

from __future__ import annotations

from collections.abc import Iterator
from string import Formatter

from pydantic import ValidationError

from flows.issues import Problem, did_you_mean
from flows.schema.common import Text
from flows.schema.items import OptionItem, YesNoItem
from flows.schema.protocol import Protocol
from flows.schema.wording import BUILT_IN, WORDING_KEYS, wording_for
from flows.tiers import Tier
from flows.yaml_source import Path

EMERGENCY_NUMBER = "emergency_number"


def texts(protocol: Protocol) -> Iterator[tuple[Path, str, Text]]:
    """Every translatable text: its path, a name for messages, and the text."""
    for index, item in enumerate(protocol.items):
        yield ("items", index, "question"), "question", item.question
        if isinstance(item, YesNoItem) and item.statement is not None:
            yield ("items", index, "statement"), "statement", item.statement
        if isinstance(item, OptionItem):
            for number, option in enumerate(item.options):
                path = ("items", index, "options", number, "label")
                yield path, f"option {option.id!r}", option.label
    for index, group in enumerate(protocol.groups):
        yield ("groups", index, "prompt"), "prompt", group.prompt
    for index, rule in enumerate(protocol.rules):
        yield ("rules", index, "reason"), "reason", rule.reason
    for tier in Tier:
        yield ("advice", tier.value), f"advice for {tier.value}", protocol.advice.text(tier)
    for index, note in enumerate(protocol.education):
        yield ("education", index, "text"), "education text", note.text


def check_texts(protocol: Protocol) -> Iterator[Problem]:
    languages = protocol.languages
    if len(set(languages)) != len(languages):
        yield Problem(("languages",), "a language is listed twice")
    for path, name, text in texts(protocol):
        missing = [lang for lang in languages if lang not in text]
        if missing:
            yield Problem(path, f"{name} has no text in {', '.join(missing)}")
        for lang in text:
            if lang not in languages:
                yield Problem(
                    (*path, lang),
                    f"{name} has text in {lang!r}, which is not one of the protocol's "
                    f"languages ({', '.join(languages)})",
                )
    yield from _check_advice(protocol)
    yield from _check_wording(protocol)


def _check_advice(protocol: Protocol) -> Iterator[Problem]:
    for tier in Tier:
        for lang, words in protocol.advice.text(tier).items():
            path: Path = ("advice", tier.value, lang)
            try:
                fields = {name for _, name, _, _ in Formatter().parse(words) if name is not None}
            except ValueError:
                yield Problem(path, "a lone { or }: write {{ or }} for a brace")
                continue
            for name in sorted(fields - {EMERGENCY_NUMBER}):
                yield Problem(
                    path,
                    f"unknown placeholder {{{name}}}; the only one is {{{EMERGENCY_NUMBER}}}"
                    + did_you_mean(name, [EMERGENCY_NUMBER]),
                )
            if tier is Tier.RED_EMERGENCY and EMERGENCY_NUMBER not in fields:
                yield Problem(
                    path,
                    f"red_emergency advice must give the number: include {{{EMERGENCY_NUMBER}}}",
                )


def _check_wording(protocol: Protocol) -> Iterator[Problem]:
    for lang in protocol.wording:
        if lang not in protocol.languages:
            yield Problem(("wording", lang), f"wording for {lang!r}, not a protocol language")
    for lang in protocol.languages:
        changes = protocol.wording.get(lang, {})
        try:
            wording_for(lang, changes)
        except ValidationError as exc:
            yield from _wording_problems(lang, exc)


def _wording_problems(lang: str, exc: ValidationError) -> Iterator[Problem]:
    missing = [str(error["loc"][0]) for error in exc.errors() if error["type"] == "missing"]
    if missing:
        yield Problem(
            ("languages",),
            f"{lang!r} has no built-in wording ({', '.join(BUILT_IN)} do): give wording: "
            f"{lang}: {', '.join(missing)}",
        )
    for error in exc.errors():
        key = str(error["loc"][0])
        if error["type"] == "extra_forbidden":
            yield Problem(
                ("wording", lang, key),
                f"unknown wording key {key!r}" + did_you_mean(key, WORDING_KEYS),
            )
        elif error["type"] != "missing":
            yield Problem(("wording", lang, key), f"wording {key!r}: {error['msg']}")
