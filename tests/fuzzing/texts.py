"""Text people (and broken clients) type: odd Unicode, numbers that are not quite numbers,
commands, and more than Telegram's 4096 characters."""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

TELEGRAM_MAX_TEXT = 4096

ODD = [
    "",
    " ",
    "\x00",
    "\x00\x01\x02\x1b[31m\x7f",
    "\r\n\t\x0b\x0c",
    "\u200b\u200c\u200d\u2060\ufeff",  # zero-width
    "\u202e37.5\u202c",  # right-to-left override around a number
    "\u2066\u2067\u2068\u2069",  # isolates
    "שלום עולם",
    "مرحبا ٣٧٫٥",
    "\u2028\u2029",
    "e" + "\u0301" * 300,  # a letter under a pile of accents
    "👩\u200d⚕️🧑🏽\u200d🦽🏳️\u200d🌈",
    "\U0001f600" * 50,
    "\ud800",  # lone surrogates: JSON can carry them as escapes
    "a\udfffb",
    "\ufffe\uffff",
    "𝟑𝟕.𝟓",  # mathematical digits
    "３７．５",  # full width
    "٣٧٫٥",  # Arabic-Indic
    "३७",  # Devanagari
    "²",
    "¹⁰",
    "½",
    "37_5",
    "1e400",
    "nan",
    "inf",
    "-0",
    "+37,5",
    "37.5 °F",
    "98.6F",
    "37.5 kg",
    "101,3 fahrenheit",
    "7/10",
    "10/10",
    "-1",
    "99999999999999999999999",
    "skip",
    "-",
    "yes",
    "Sí!",
    "none",
    "1",
    "Europe/Madrid",
    "../../etc/passwd",
    "UTC",
    "'; DROP TABLE patients; --",
    "%s %d %(name)s {0} {name}",
    "<b>bold</b> *md* _it_ `code`",
    "/start",
    "/start abc",
    "/start " + "A" * 43,
    "/help@eras_sandbox_bot",
    "/help@someone_else_bot",
    "/alerts",
    "/checkin extra words",
    "/stop",
    "/timezone",
    "/language",
    "/STATUS",
    "/",
    "//",
    "/ start",
]


@cache
def huge_texts() -> st.SearchStrategy[str]:
    """Around and beyond Telegram's limit (which a client must not exceed, but still)."""
    return st.builds(
        lambda piece, size: (piece * size)[: size + 10],
        st.sampled_from(["a", "9", "é", "😀", "\u200b", "\u202e", "ﷺ", "37.5 "]),
        st.integers(TELEGRAM_MAX_TEXT - 2, TELEGRAM_MAX_TEXT + 1000),
    )


@cache
def any_characters() -> st.SearchStrategy[str]:
    """Any code point at all, lone surrogates and control characters included."""
    return st.characters(codec=None, categories=None) | st.characters(categories=["Cs", "Cc"])


@cache  # one strategy object: building them anew for every draw is slow
def texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD),
        numbers(),
        zones(),
        st.text(max_size=40),
        st.text(any_characters(), max_size=40),
        st.lists(st.sampled_from(ODD) | st.text(max_size=6), max_size=5).map("".join),
        huge_texts(),
    )


# The digits 0-9 of other scripts: Arabic-Indic, Devanagari, full width, mathematical bold.
OTHER_DIGITS = [0x0660, 0x0966, 0xFF10, 0x1D7CE]
UNITS = ["", "c", "C", "°C", "ºc", "celsius", "f", "°F", "fahrenheit", "kg", "lb", "%", "/10", "?"]


def _in_script(text: str, zero: int) -> str:
    return "".join(chr(zero + int(c)) if c.isdigit() else c for c in text)


@cache
def numbers() -> st.SearchStrategy[str]:
    """Numbers as people type them: near the limits, with units, commas, other scripts."""
    value = st.one_of(
        st.decimals(min_value=33, max_value=44, places=2),  # a fever, or a typo of one
        st.decimals(min_value=89, max_value=111, places=1),  # Fahrenheit
        st.decimals(min_value=-200, max_value=200, places=3),
        st.sampled_from(["34", "33.9", "43", "43.04", "43.05", "89.9", "90", "110", "110.1"]),
        st.integers(-(10**30), 10**30).map(str),
    )
    written = st.builds(
        lambda v, comma, space, unit: f"{str(v).replace('.', ',') if comma else v}{space}{unit}",
        value,
        st.booleans(),
        st.sampled_from(["", " ", "  ", "\u00a0", "\t"]),
        st.sampled_from(UNITS),
    )
    scripted = st.builds(_in_script, written, st.sampled_from(OTHER_DIGITS))
    return written | scripted


ZONES = [
    "Europe/Madrid",
    "Asia/Kolkata",
    "UTC",
    "Etc/GMT+14",
    "europe/madrid",
    "Europe",  # a folder of the time zone database, not a zone
    "America/",
    "Europe//Madrid",
    "Europe/./Madrid",
    "posix/Europe/Madrid",
    "localtime",
    "Factory",
    "zone.tab",
    "tzdata.zi",
    "/etc/localtime",
    "+01:00",
    "GMT+2",
    "CET",
    "Madrid",
]


@cache
def zones() -> st.SearchStrategy[str]:
    """What people type when asked their time zone, and what the zone database holds."""
    long_name = st.integers(60, 400).map(lambda n: "Europe/" + "x" * n)
    return st.sampled_from(ZONES) | long_name
