"""Turning what a patient pressed or typed into an answer, or a polite request to try again.

What is accepted (in any of the protocol's languages):

- **buttons**: the option id, the NRS value, ``yes``/``no``;
- **yes/no**: yes, y, yeah, yep, sí, si / no, n, nope (case and accents ignored);
- **choices**: the option id, the label in any language, or its number as listed (1, 2, …);
- **NRS 0–10**: a whole number, also written ``7/10``;
- **whole numbers** (e.g. days): digits, optionally followed by a word (``3 days``);
- **numbers**: ``38.4`` or ``38,4``, optionally with a unit (``38.4 °C``, ``101.3 F``). A reply
  without a unit in a conversion band of the item (temperature: 90–110) is read in that unit
  and converted (``101.3`` → 38.5 °C). After conversion and rounding the value must be in the
  item's range (temperature 34.0–43.0 °C), else it is asked again;
- **skip words** (skip, pass, -, omitir, saltar) for skippable items;
- **photos** for photo items; any non-empty text for text items.

Anything else gets a re-ask with a hint in the patient's language.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from flows.answers import AnswerValue
from flows.schema.items import (
    ChoiceItem,
    IntegerItem,
    Item,
    NrsItem,
    NumberItem,
    OrdinalItem,
    PhotoItem,
    TextItem,
    YesNoItem,
    accepted_range,
)
from flows.schema.wording import BUILT_IN, Wording
from flows.units import CONVERSIONS, UNITS, symbol


@dataclass(frozen=True, slots=True)
class Photo:
    """A photo the patient sent, by the messenger's file reference."""

    file_id: str


@dataclass(frozen=True, slots=True)
class Accepted:
    value: AnswerValue


@dataclass(frozen=True, slots=True)
class Skipped:
    pass


@dataclass(frozen=True, slots=True)
class ReAsk:
    hint: str  # in the patient's language


Reply = Accepted | Skipped | ReAsk

_NUMBER = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*([^\d\s].*)?$")
_WHOLE = re.compile(r"^(\d+)\s*(?:/\s*10|[^\d\s][^\d]*)?$")


def plain(text: str) -> str:
    """Lower case, no accents, no surrounding spaces or final punctuation: "Sí!" → "si"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.rstrip(".!?¡¿ ").lstrip("¡¿ ") or stripped


def _words(wording: Wording, key: str) -> frozenset[str]:
    """A word list of every built-in language and of ``wording``, in plain form."""
    lists = [getattr(w, key) for w in (*BUILT_IN.values(), wording)]
    return frozenset(plain(word) for words in lists for word in words)


def parse_reply(
    item: Item, raw: str | Photo, language: str, wording: Wording | None = None
) -> Reply:
    """Read a reply to ``item``; ``wording`` defaults to the built-in one of ``language``."""
    wording = wording or BUILT_IN[language]
    if isinstance(raw, str) and item.skippable and plain(raw) in _words(wording, "skip_words"):
        return Skipped()
    value = _read(item, raw, wording)
    if value is not None:
        return Accepted(value)
    hint = reask_hint(item, wording)
    return ReAsk(f"{hint} {wording.or_skip}" if item.skippable else hint)


def _read(item: Item, raw: str | Photo, wording: Wording) -> AnswerValue | None:
    if isinstance(item, PhotoItem):
        return raw.file_id if isinstance(raw, Photo) and raw.file_id else None
    if isinstance(raw, Photo):
        return None
    text = plain(raw)
    if isinstance(item, TextItem):
        return raw.strip() or None
    if isinstance(item, YesNoItem):
        return read_yes_no(text, wording)
    if isinstance(item, ChoiceItem | OrdinalItem):
        return _read_option(item, text)
    if isinstance(item, NumberItem):
        return _read_number(item, text)
    return _read_whole(item, text)


def read_yes_no(text: str, wording: Wording) -> bool | None:
    if text in _words(wording, "yes_words"):
        return True
    if text in _words(wording, "no_words"):
        return False
    return None


def _read_option(item: ChoiceItem | OrdinalItem, text: str) -> str | None:
    for number, option in enumerate(item.options, 1):
        labels = {plain(label) for label in option.label.values()}
        if text in (option.id, str(number)) or text in labels:
            return option.id
    return None


def _read_whole(item: NrsItem | IntegerItem, text: str) -> int | None:
    match = _WHOLE.match(text)
    if match is None or (isinstance(item, IntegerItem) and "/" in text):
        return None
    value = int(match.group(1))
    return value if value in accepted_range(item) else None


def _read_number(item: NumberItem, text: str) -> float | None:
    match = _NUMBER.match(text)
    if match is None:
        return None
    value = float(match.group(1).replace(",", "."))
    typed_unit = (match.group(2) or "").replace(" ", "")
    if typed_unit:
        # Only the item's own unit and the ones it declares a conversion from.
        allowed = {item.unit, *(c.from_unit for c in item.conversions)}
        unit = next((code for code in allowed if typed_unit in _typed(code)), None)
        if unit is None:
            return None
    else:
        unit = next((c.from_unit for c in item.conversions if value in c.read_between), item.unit)
    if unit != item.unit:
        value = CONVERSIONS[(unit, item.unit)](value)
    value = round(value, item.decimals)
    return value if value in item.range else None


def _typed(code: str) -> tuple[str, ...]:
    unit = UNITS.get(code)
    return unit.typed if unit else (code.lower(),)


def number_text(value: float, decimals: int, wording: Wording) -> str:
    """A number the way the patient writes it: 34.0 in English, 34,0 in Spanish."""
    return f"{value:.{decimals}f}".replace(".", wording.decimal_mark)


def reask_hint(item: Item, wording: Wording) -> str:
    """What to tell a patient whose reply to ``item`` could not be read."""
    if isinstance(item, YesNoItem):
        return wording.reask_yes_no
    if isinstance(item, ChoiceItem | OrdinalItem):
        return wording.reask_choice
    if isinstance(item, PhotoItem):
        return wording.reask_photo
    if isinstance(item, TextItem):
        return wording.reask_text
    accepted = accepted_range(item)
    if not isinstance(item, NumberItem):
        return wording.reask_whole_number.format(min=int(accepted.min), max=int(accepted.max))
    hint = wording.reask_number.format(
        min=number_text(accepted.min, item.decimals, wording),
        max=number_text(accepted.max, item.decimals, wording),
        unit=symbol(item.unit),
    )
    if item.conversions:
        units = ", ".join(symbol(c.from_unit) for c in item.conversions)
        hint = f"{hint} {wording.also_accepted.format(units=units)}"
    return hint
