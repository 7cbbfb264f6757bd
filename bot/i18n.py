"""The bot's own words, from one catalogue file per language (``bot/locales/LANG.yaml``).

Adding a language is adding a file; a test checks that every language has every text with
the same placeholders. The protocols' clinical texts come from the protocol files instead.
"""

from __future__ import annotations

import string
from functools import cache
from importlib import resources
from typing import Any

import yaml

DEFAULT_LANGUAGE = "en"


class Catalogue:
    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self._texts = texts

    @property
    def languages(self) -> list[str]:
        return sorted(self._texts)

    def language(self, requested: str | None) -> str:
        """The requested language if we speak it, else the default."""
        code = (requested or "").split("-")[0].lower()
        return code if code in self._texts else DEFAULT_LANGUAGE

    def keys(self, language: str) -> set[str]:
        return set(self._texts[language])

    def raw(self, language: str, key: str) -> str:
        return self._texts[self.language(language)][key]

    def text(self, language: str, key: str, **values: Any) -> str:
        return self.raw(language, key).format(**values).strip()


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@cache
def catalogue() -> Catalogue:
    texts: dict[str, dict[str, str]] = {}
    for entry in resources.files("bot.locales").iterdir():
        if entry.name.endswith(".yaml"):
            texts[entry.name.removesuffix(".yaml")] = yaml.safe_load(entry.read_text("utf-8"))
    return Catalogue(texts)


def t(language: str, key: str, **values: Any) -> str:
    """The text ``key`` in ``language`` (or English), with ``values`` filled in."""
    return catalogue().text(language, key, **values)
