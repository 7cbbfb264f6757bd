"""Formatted text read as Telegram reads it (offsets in UTF-16 code units)."""

from __future__ import annotations

import pytest

from bot.sandbox.errors import ApiError
from bot.sandbox.world.formatting import command_entities, format_text


def spans(text: str, parse_mode: str) -> tuple[str, list[tuple[str, int, int]]]:
    plain, entities = format_text(text, parse_mode)
    return plain, [(e["type"], e["offset"], e["length"]) for e in entities]


@pytest.mark.parametrize(
    ("source", "mode", "expected"),
    [
        ("<b>Call 112</b> now", "HTML", ("Call 112 now", [("bold", 0, 8)])),
        ("<i>a</i> &lt;b&gt; &amp; &#33;", "HTML", ("a <b> & !", [("italic", 0, 1)])),
        ("<b>😀 <u>x</u></b>", "HTML", ("😀 x", [("bold", 0, 4), ("underline", 3, 1)])),
        ('<span class="tg-spoiler">s</span>', "HTML", ("s", [("spoiler", 0, 1)])),
        (
            "*bold* _it_ __u__",
            "MarkdownV2",
            ("bold it u", [("bold", 0, 4), ("italic", 5, 2), ("underline", 8, 1)]),
        ),
        (r"Day 3\. Pain \> 5\!", "MarkdownV2", ("Day 3. Pain > 5!", [])),
        ("`a*b`", "MarkdownV2", ("a*b", [("code", 0, 3)])),
        ("*bold* _it_", "Markdown", ("bold it", [("bold", 0, 4), ("italic", 5, 2)])),
        ("no markup at all.", None, ("no markup at all.", [])),
    ],
)
def test_markup_becomes_text_and_entities(
    source: str, mode: str, expected: tuple[str, list[tuple[str, int, int]]]
) -> None:
    assert spans(source, mode) == expected


def test_a_link_keeps_its_url() -> None:
    _, entities = format_text('<a href="https://example.org/a">leaflet</a>', "HTML")

    assert entities == [
        {"type": "text_link", "url": "https://example.org/a", "offset": 0, "length": 7}
    ]


@pytest.mark.parametrize(
    ("source", "mode", "reason"),
    [
        ("<b>unclosed", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("pain <5", "HTML", "Unclosed start tag at byte offset 5"),
        ("pain <5 today", "HTML", 'Unsupported start tag "5" at byte offset 5'),
        ("<blink>x</blink>", "HTML", 'Unsupported start tag "blink" at byte offset 0'),
        ("<b>x</i>", "HTML", "Unmatched end tag"),
        ("Day 3.", "MarkdownV2", "Character '.' is reserved"),
        ("*open", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
        ("ok _open", "Markdown", "Can't find end of the entity starting at byte offset 3"),
    ],
)
def test_markup_telegram_cannot_parse_is_refused(source: str, mode: str, reason: str) -> None:
    with pytest.raises(ApiError) as refused:
        format_text(source, mode)

    assert refused.value.status == 400
    assert refused.value.description.startswith("Bad Request: can't parse entities: ")
    assert reason in refused.value.description


def test_an_unknown_parse_mode_is_refused() -> None:
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "BBCode")


def test_commands_are_found_where_telegram_finds_them() -> None:
    assert command_entities("/start abc") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("😀 /help@eras_bot") == [
        {"type": "bot_command", "offset": 3, "length": 14}
    ]
    assert command_entities("and/or 1/2") == []
