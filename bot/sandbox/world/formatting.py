"""Formatted text as Telegram reads it: HTML or MarkdownV2 in, plain text and entities out.

Telegram answers a message with the text the user sees plus ``entities`` (offsets in UTF-16
code units), and refuses markup it cannot parse with "can't parse entities". The sandbox
does both, so a bot's escaping bugs show up in tests rather than in a patient's chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.errors import ApiError, bad_request

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",  # only with class="tg-spoiler"
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_TAG_NAME_END = re.compile(r"[\s>]|$")
_HTML_ESCAPES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MARKDOWN_V2_RESERVED = set("_*[]()~`>#+-=|{}.!")
_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@])")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def format_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """The plain text and its entities, or ApiError 400 as Telegram answers bad markup."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return _Html(text).parse()
    if mode == "markdownv2":
        return _Markdown(text, v2=True).parse()
    if mode == "markdown":
        return _Markdown(text, v2=False).parse()
    raise bad_request(f"unsupported parse_mode {parse_mode!r}")


def command_entities(text: str) -> list[Entity]:
    """The ``bot_command`` entities Telegram adds to what a person types (e.g. ``/start x``)."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _COMMAND.finditer(text)
    ]


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


@dataclass
class _Builder:
    """Plain text being built, with entities measured in Python characters until the end."""

    source: str
    out: list[str] = field(default_factory=list)
    spans: list[tuple[int, int, Entity]] = field(default_factory=list)

    @property
    def position(self) -> int:
        return sum(len(piece) for piece in self.out)

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def add_entity(self, start: int, entity: Entity) -> None:
        end = self.position
        if end > start:
            self.spans.append((start, end, entity))

    def result(self) -> tuple[str, list[Entity]]:
        text = "".join(self.out)
        entities = [
            {
                **entity,
                "offset": utf16_len(text[:start]),
                "length": utf16_len(text[start:end]),
            }
            for start, end, entity in sorted(self.spans, key=lambda s: (s[0], -s[1]))
        ]
        return text, entities


class _Html(_Builder):
    def parse(self) -> tuple[str, list[Entity]]:
        open_tags: list[tuple[str, int, Entity, int]] = []  # name, start, entity, byte offset
        i = 0
        text = self.source
        while i < len(text):
            char = text[i]
            if char == "<":
                # As Telegram reads a tag: the name runs to a space or ">", then the rest.
                name_end = _TAG_NAME_END.search(text, i + 1)
                assert name_end is not None  # the pattern also matches at the end
                name = text[i + 1 : name_end.start()].lower()
                if not name.startswith("/") and name_end.start() < len(text):
                    self._check_supported(name, i)
                end = text.find(">", i)
                if end == -1:
                    raise _cant_parse(f"Unclosed start tag at byte offset {self.byte_offset(i)}")
                if name.startswith("/"):
                    self._close(name[1:], open_tags, i)
                else:
                    open_tags.append(self._open(name, text[name_end.start() : end], i))
                i = end + 1
            elif char == "&":
                end = text.find(";", i)
                name = text[i + 1 : end] if end != -1 else ""
                decoded = self._entity(name)
                if decoded is None:
                    self.out.append("&")
                    i += 1
                else:
                    self.out.append(decoded)
                    i = end + 1
            else:
                self.out.append(char)
                i += 1
        if open_tags:
            name = open_tags[-1][0]
            raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{name}"')
        return self.result()

    def _open(self, name: str, attributes: str, index: int) -> tuple[str, int, Entity, int]:
        if name == "span" and "tg-spoiler" not in attributes:
            raise _cant_parse(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(index)}'
            )
        kind = _HTML_TAGS[name]
        entity: Entity = {"type": kind}
        attrs = dict(re.findall(r'([\w-]+)\s*=\s*"([^"]*)"', attributes))
        if kind == "text_link":
            entity["url"] = attrs.get("href", "")
        if kind == "pre" and "class" in attrs:
            entity["language"] = attrs["class"].removeprefix("language-")
        return name, self.position, entity, self.byte_offset(index)

    def _check_supported(self, name: str, index: int) -> None:
        if name not in _HTML_TAGS:
            raise _cant_parse(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(index)}'
            )

    def _close(self, name: str, open_tags: list[tuple[str, int, Entity, int]], index: int) -> None:
        if not open_tags or open_tags[-1][0] != name:
            raise _cant_parse(f"Unmatched end tag at byte offset {self.byte_offset(index)}")
        _, start, entity, _ = open_tags.pop()
        self.add_entity(start, entity)

    @staticmethod
    def _entity(name: str) -> str | None:
        if name in _HTML_ESCAPES:
            return _HTML_ESCAPES[name]
        number = re.fullmatch(r"#(x[0-9a-fA-F]+|\d+)", name)
        if number:
            digits = number[1]
            return chr(int(digits[1:], 16) if digits.startswith("x") else int(digits))
        return None


# Markdown markers, longest first, with the entity each one opens.
_V2_MARKERS = [("```", "pre"), ("__", "underline"), ("||", "spoiler"), ("*", "bold"),
               ("_", "italic"), ("~", "strikethrough"), ("`", "code")]  # fmt: skip
_LEGACY_MARKERS = [("```", "pre"), ("*", "bold"), ("_", "italic"), ("`", "code")]
_ENTITY_NAMES = {"bold": "Bold", "italic": "Italic", "underline": "Underline",
                 "strikethrough": "Strikethrough", "spoiler": "Spoiler", "code": "Code",
                 "pre": "Pre", "text_link": "TextUrl"}  # fmt: skip


class _Markdown(_Builder):
    def __init__(self, source: str, *, v2: bool) -> None:
        super().__init__(source)
        self.v2 = v2
        self.markers = _V2_MARKERS if v2 else _LEGACY_MARKERS

    def parse(self) -> tuple[str, list[Entity]]:
        text = self.source
        open_marks: list[tuple[str, str, int, int]] = []  # marker, kind, start, byte offset
        i = 0
        while i < len(text):
            char = text[i]
            if char == "\\" and i + 1 < len(text) and (self.v2 or text[i + 1] in "_*`["):
                self.out.append(text[i + 1])
                i += 2
                continue
            marker = next((m for m in self.markers if text.startswith(m[0], i)), None)
            if marker is not None:
                token, kind = marker
                if kind in ("code", "pre"):
                    i = self._verbatim(token, kind, i)
                elif open_marks and open_marks[-1][0] == token:
                    _, _, start, _ = open_marks.pop()
                    self.add_entity(start, {"type": kind})
                    i += len(token)
                else:
                    open_marks.append((token, kind, self.position, self.byte_offset(i)))
                    i += len(token)
                continue
            if char == "[" and all(mark[0] != "]" for mark in open_marks):
                open_marks.append(("]", "text_link", self.position, self.byte_offset(i)))
                i += 1
                continue
            if char == "]" and open_marks and open_marks[-1][0] == "]":
                i = self._link_target(i, open_marks.pop()[2])
                continue
            if self.v2 and char in _MARKDOWN_V2_RESERVED:
                raise _cant_parse(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            self.out.append(char)
            i += 1
        if open_marks:
            _, kind, _, offset = open_marks[-1]
            if self.v2:
                raise _cant_parse(
                    f"Can't find end of {_ENTITY_NAMES[kind]} entity at byte offset {offset}"
                )
            raise _cant_parse(f"Can't find end of the entity starting at byte offset {offset}")
        return self.result()

    def _verbatim(self, token: str, kind: str, i: int) -> int:
        """Code and pre: no markup inside, only escaped backquotes and backslashes."""
        text = self.source
        body_start = i + len(token)
        j = body_start
        body: list[str] = []
        while j < len(text) and not text.startswith(token, j):
            if self.v2 and text[j] == "\\" and j + 1 < len(text):
                j += 1
            body.append(text[j])
            j += 1
        if j >= len(text):
            name = _ENTITY_NAMES[kind]
            offset = self.byte_offset(i)
            raise _cant_parse(
                f"Can't find end of {name} entity at byte offset {offset}"
                if self.v2
                else f"Can't find end of the entity starting at byte offset {offset}"
            )
        content = "".join(body)
        entity: Entity = {"type": kind}
        if kind == "pre" and "\n" in content:
            language, _, rest = content.partition("\n")
            if language and " " not in language:
                entity["language"] = language
                content = rest
        start = self.position
        self.out.append(content)
        self.add_entity(start, entity)
        return j + len(token)

    def _link_target(self, i: int, start: int) -> int:
        """``[text](url)``: ``i`` is at the ``]``."""
        text = self.source
        end = text.find(")", i + 2) if text.startswith("(", i + 1) else -1
        if end == -1:
            offset = self.byte_offset(i)
            raise _cant_parse(f"Can't find end of TextUrl entity at byte offset {offset}")
        url = text[i + 2 : end].replace("\\)", ")").replace("\\\\", "\\")
        self.add_entity(start, {"type": "text_link", "url": url})
        return end + 1
