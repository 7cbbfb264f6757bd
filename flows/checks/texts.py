"""Every text in every language, and placeholders the renderer can fill."""

from __future__ import annotations

from collections.abc import Iterator
from string import Formatter

from pydantic import ValidationError

from flows.issues import Problem, did_you_mean
from flows.schema.common import Text
from flows.schema.items import NumberItem, OptionItem, YesNoItem
from flows.schema.protocol import Protocol
from flows.schema.wording import BUILT_IN, WORDING_KEYS, wording_for
from flows.tiers import Tier
from flows.yaml_source import Path

EMERGENCY_NUMBER = "emergency_number"
# A question may name the patient's last check-in: "than {since}" reads "than at your last
# check-in (Saturday 5 December)", or "than when you left hospital" at the first one.
SINCE = "since"


def texts(protocol: Protocol) -> Iterator[tuple[Path, str, Text]]:
    """Every translatable text: its path, a name for messages, and the text."""
    for index, item in enumerate(protocol.items):
        yield ("items", index, "question"), "question", item.question
        if isinstance(item, NumberItem) and item.confirm is not None:
            yield ("items", index, "confirm", "ask"), "confirm ask", item.confirm.ask
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
        if rule.advice is not None:
            yield ("rules", index, "advice", "text"), "advice", rule.advice.text
    for tier in Tier:
        yield ("advice", tier.value), f"advice for {tier.value}", protocol.advice.text(tier)
    if protocol.advice.safety_net is not None:
        yield ("advice", "safety_net"), "safety net", protocol.advice.safety_net
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
    yield from _check_questions(protocol)
    yield from _check_wording(protocol)


def placeholders(words: str) -> set[str] | None:
    """The ``{names}`` in a text; None when a brace is unmatched."""
    try:
        return {name for _, name, _, _ in Formatter().parse(words) if name is not None}
    except ValueError:
        return None


def _check_placeholders(path: Path, words: str, allowed: str) -> Iterator[Problem]:
    fields = placeholders(words)
    if fields is None:
        yield Problem(path, "a lone { or }: write {{ or }} for a brace")
        return
    for name in sorted(fields - {allowed}):
        yield Problem(
            path,
            f"unknown placeholder {{{name}}}; the only one is {{{allowed}}}"
            + did_you_mean(name, [allowed]),
        )


def _check_advice(protocol: Protocol) -> Iterator[Problem]:
    advice = [(tier.value, protocol.advice.text(tier)) for tier in Tier]
    if protocol.advice.safety_net is not None:
        advice.append(("safety_net", protocol.advice.safety_net))
    for key, text in advice:
        for lang, words in text.items():
            path: Path = ("advice", key, lang)
            yield from _check_placeholders(path, words, EMERGENCY_NUMBER)
            fields = placeholders(words)
            if (
                fields is not None
                and key in (Tier.RED_EMERGENCY, "safety_net")
                and EMERGENCY_NUMBER not in fields
            ):
                yield Problem(
                    path, f"{key} advice must give the number: include {{{EMERGENCY_NUMBER}}}"
                )


def _check_questions(protocol: Protocol) -> Iterator[Problem]:
    for index, item in enumerate(protocol.items):
        asked = [("question", item.question)]
        if isinstance(item, YesNoItem) and item.statement is not None:
            asked.append(("statement", item.statement))
        for key, lang, words in (
            (key, lang, words) for key, text in asked for lang, words in text.items()
        ):
            path: Path = ("items", index, key, lang)
            yield from _check_placeholders(path, words, SINCE)
            if SINCE in (placeholders(words) or ()) and not _dates_in(protocol, lang):
                yield Problem(
                    path,
                    f"{{{SINCE}}} needs the wording keys since_last_check_in, "
                    f"since_leaving_hospital, date_format, weekdays and months in {lang!r}",
                )


def _dates_in(protocol: Protocol, lang: str) -> bool:
    """Whether the wording of ``lang`` can name a check-in's day (a broken wording is
    reported on its own)."""
    try:
        return wording_for(lang, protocol.wording.get(lang, {})).dates
    except ValidationError:
        return True


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
