"""Button data: one typed press per kind of button, and the one codec that writes and reads them.

Telegram hands a button's data back exactly as it was written, at most 64 bytes, and anyone
with a modified client can send any data at all: so data is only a request. ``decode``
turns it into a press or refuses it (None), never raising; whether the press may act is for
the use case to decide, from the database.

Version 1, what ``encode`` writes: ``1<kind>:<field>:…``, e.g. ``1a:42:pain_back:3``. Data
written before versions (``a:42:pain_back:3``, ``k:7`` …) is still decoded exactly as it
was written, so questions already sent and alert cards already posted keep working after an
upgrade. Every field is checked when a press is made, so a press that exists can be encoded
unless it is too long, and decoding accepts only what encoding writes: one text per press.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import Enum, StrEnum
from typing import Any

MAX_BYTES = 64  # Telegram's limit for a button's data
VERSION = "1"
ID_MAX = 2**31 - 1  # what the id columns hold (a 32-bit integer on PostgreSQL)

_NUMBER = re.compile(r"0|[1-9][0-9]{0,9}")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")  # a protocol's item, group or option id
_WORD = re.compile(r"[A-Za-z0-9_]+")  # a choice, an outcome or a grade
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")


class ButtonDataError(ValueError):
    """A press that cannot travel on a button: a field it cannot carry, or too long."""


class Skip(Enum):
    """The skip button of a skippable question."""

    SKIP = "skip"


SKIP = Skip.SKIP


class Setting(StrEnum):
    """The buttons under the settings summary: all good, or change one of them."""

    OK = "ok"
    LANGUAGE = "language"
    TIMEZONE = "timezone"


def _check(ok: bool, what: str, value: object) -> None:
    if not ok:
        raise ButtonDataError(f"{what} {value!r} cannot travel on a button")


def _id(what: str, value: int) -> None:
    _check(type(value) is int and 0 <= value <= ID_MAX, what, value)


def _text(what: str, value: str, pattern: re.Pattern[str]) -> None:
    _check(isinstance(value, str) and pattern.fullmatch(value) is not None, what, value)


# The patient's buttons, in their private chat.


@dataclass(frozen=True, slots=True)
class AnswerChoice:
    """A choice (or the skip button) for one question of one check-in."""

    checkin_id: int
    question_id: str
    choice: str | Skip

    def __post_init__(self) -> None:
        _id("check-in id", self.checkin_id)
        _text("question id", self.question_id, _IDENTIFIER)
        if self.choice is not SKIP:
            _text("choice", self.choice, _WORD)


@dataclass(frozen=True, slots=True)
class Consent:
    """Yes or no to the follow-up of one episode."""

    episode_id: int
    agreed: bool

    def __post_init__(self) -> None:
        _id("episode id", self.episode_id)
        _check(isinstance(self.agreed, bool), "consent", self.agreed)


@dataclass(frozen=True, slots=True)
class SettingsChoice:
    setting: Setting

    def __post_init__(self) -> None:
        _check(isinstance(self.setting, Setting), "setting", self.setting)


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    language: str

    def __post_init__(self) -> None:
        _text("language", self.language, _LANGUAGE)


@dataclass(frozen=True, slots=True)
class Pause:
    """Yes (stop the check-ins for now) or no, after /stop."""

    confirmed: bool

    def __post_init__(self) -> None:
        _check(isinstance(self.confirmed, bool), "pause", self.confirmed)


@dataclass(frozen=True, slots=True)
class CaregiverChoice:
    """Add a caregiver (a new link), or remove the patient's caregivers, after /caregiver."""

    add: bool

    def __post_init__(self) -> None:
        _check(isinstance(self.add, bool), "caregiver choice", self.add)


# The care team's buttons, on an alert card in its group.


@dataclass(frozen=True, slots=True)
class Acknowledge:
    alert_id: int

    def __post_init__(self) -> None:
        _id("alert id", self.alert_id)


@dataclass(frozen=True, slots=True)
class Resolve:
    """Start resolving: the card then offers the outcomes."""

    alert_id: int

    def __post_init__(self) -> None:
        _id("alert id", self.alert_id)


@dataclass(frozen=True, slots=True)
class ResolveWith:
    """The outcome chosen: the card then offers the grades (a false alarm resolves)."""

    alert_id: int
    outcome: str

    def __post_init__(self) -> None:
        _id("alert id", self.alert_id)
        _text("outcome", self.outcome, _WORD)


@dataclass(frozen=True, slots=True)
class ResolveGraded:
    """Outcome and Clavien–Dindo grade chosen: resolve."""

    alert_id: int
    outcome: str
    grade: str

    def __post_init__(self) -> None:
        _id("alert id", self.alert_id)
        _text("outcome", self.outcome, _WORD)
        _text("grade", self.grade, _WORD)


# The care team's buttons that write to the patient's record: on a patient's message card
# (reply, note) and on an alert card (note). Each asks for the words in the group.


@dataclass(frozen=True, slots=True)
class ReplyToPatient:
    """Answer the patient whose message this is."""

    message_id: int

    def __post_init__(self) -> None:
        _id("message id", self.message_id)


@dataclass(frozen=True, slots=True)
class NoteOnMessage:
    """A note for the record of the patient whose message this is."""

    message_id: int

    def __post_init__(self) -> None:
        _id("message id", self.message_id)


@dataclass(frozen=True, slots=True)
class NoteOnAlert:
    """A note for the record, on this alert."""

    alert_id: int

    def __post_init__(self) -> None:
        _id("alert id", self.alert_id)


# The care team's way into the web console, on an alert card and in the digest.


@dataclass(frozen=True, slots=True)
class OpenConsole:
    """Send me a sign-in link for the console, in my private chat: a group's card never
    carries a link itself, since everyone in the group could use it. The team is the
    card's: only its active staff get a link."""

    team_id: int

    def __post_init__(self) -> None:
        _id("team id", self.team_id)


PatientPress = AnswerChoice | Consent | SettingsChoice | ChooseLanguage | Pause | CaregiverChoice
AlertPress = Acknowledge | Resolve | ResolveWith | ResolveGraded
RecordPress = ReplyToPatient | NoteOnMessage | NoteOnAlert
Press = PatientPress | AlertPress | RecordPress | OpenConsole
PATIENT_PRESSES = (AnswerChoice, Consent, SettingsChoice, ChooseLanguage, Pause, CaregiverChoice)
ALERT_PRESSES = (Acknowledge, Resolve, ResolveWith, ResolveGraded)
RECORD_PRESSES = (ReplyToPatient, NoteOnMessage, NoteOnAlert)


@dataclass(frozen=True)
class _Field:
    """How one field is written, and read back (raising ValueError on anything else)."""

    write: Callable[[Any], str]
    read: Callable[[str], Any]


def _read_id(text: str) -> int:
    if _NUMBER.fullmatch(text) is None:  # one way to write a number: no sign, space or padding
        raise ValueError(text)
    return int(text)


def _flag(yes: str, no: str) -> _Field:
    return _Field(lambda value: yes if value else no, {yes: True, no: False}.__getitem__)


def _choice(skip: str) -> _Field:
    return _Field(
        lambda value: skip if value is SKIP else str(value),
        lambda text: SKIP if text == skip else text,
    )


_ROW = _Field(str, _read_id)
_TEXT = _Field(str, str)
_SETTING = _Field(str, Setting)

_Layout = tuple[type[Any], tuple[_Field, ...]]

# By version, then by kind: the press and how its fields are written, in their order.
_LAYOUTS: dict[str, dict[str, _Layout]] = {
    VERSION: {
        "a": (AnswerChoice, (_ROW, _TEXT, _choice("-"))),
        "c": (Consent, (_ROW, _flag("y", "n"))),
        "s": (SettingsChoice, (_SETTING,)),
        "l": (ChooseLanguage, (_TEXT,)),
        "p": (Pause, (_flag("y", "n"),)),
        "k": (Acknowledge, (_ROW,)),
        "r": (Resolve, (_ROW,)),
        "o": (ResolveWith, (_ROW, _TEXT)),
        "g": (ResolveGraded, (_ROW, _TEXT, _TEXT)),
        "m": (ReplyToPatient, (_ROW,)),
        "t": (NoteOnMessage, (_ROW,)),
        "n": (NoteOnAlert, (_ROW,)),
        "v": (CaregiverChoice, (_flag("a", "r"),)),
        "w": (OpenConsole, (_ROW,)),
    },
    # Before versions: what buttons sent until then carry.
    "": {
        "a": (AnswerChoice, (_ROW, _TEXT, _choice("skip"))),
        "c": (Consent, (_ROW, _flag("yes", "no"))),
        "s": (SettingsChoice, (_SETTING,)),
        "l": (ChooseLanguage, (_TEXT,)),
        "p": (Pause, (_flag("yes", "no"),)),
        "k": (Acknowledge, (_ROW,)),
        "r": (Resolve, (_ROW,)),
        "o": (ResolveWith, (_ROW, _TEXT)),
        "g": (ResolveGraded, (_ROW, _TEXT, _TEXT)),
    },
}
_KINDS = {press: kind for kind, (press, _) in _LAYOUTS[VERSION].items()}


def encode(press: Press) -> str:
    """The data of the button that makes ``press``; ButtonDataError if it exceeds 64 bytes."""
    kind = _KINDS[type(press)]
    _, layout = _LAYOUTS[VERSION][kind]
    values = (getattr(press, field.name) for field in fields(press))
    data = ":".join([VERSION + kind, *(f.write(v) for f, v in zip(layout, values, strict=True))])
    size = len(data.encode())
    if size > MAX_BYTES:
        raise ButtonDataError(
            f"{press!r} needs {size} bytes of button data; Telegram allows {MAX_BYTES}"
        )
    return data


def decode(data: str) -> Press | None:
    """The press ``data`` asks for, or None for anything no button of ours carries."""
    if not isinstance(data, str) or not data.isascii() or len(data) > MAX_BYTES:
        return None
    head, *values = data.split(":")
    version, kind = (head[:-1], head[-1:]) if head[:1].isdigit() else ("", head)
    press, layout = _LAYOUTS.get(version, {}).get(kind, (None, ()))
    if press is None or len(values) != len(layout):
        return None
    try:
        found: Press = press(*(f.read(v) for f, v in zip(layout, values, strict=True)))
    except (ValueError, KeyError):  # ButtonDataError is a ValueError
        return None
    return found
