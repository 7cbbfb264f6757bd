"""Every language speaks every text of the bot, with the same placeholders."""

from __future__ import annotations

import pytest

from bot.i18n import catalogue, placeholders, t

LANGUAGES = catalogue().languages


def test_english_and_spanish_are_shipped() -> None:
    assert {"en", "es"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_has_every_text(language: str) -> None:
    assert catalogue().keys(language) == catalogue().keys("en")


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_english(language: str) -> None:
    for key in catalogue().keys("en"):
        assert placeholders(catalogue().raw(language, key)) == placeholders(
            catalogue().raw("en", key)
        ), key


def test_an_unknown_language_falls_back_to_english() -> None:
    assert t("xx", "menu_concern") == t("en", "menu_concern") == "I have a concern"
    assert t("es-ES", "menu_concern") == "Tengo un problema"
