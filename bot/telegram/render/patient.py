"""What the patient sees: Bot API message payloads (text and buttons), in their language.

Every button carries a typed press (``bot.telegram.callbacks``) naming exactly what it asks
for, e.g. an answer to one question of one check-in, so that a stale or forged press can be
recognised.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.i18n import t
from bot.telegram.callbacks import (
    SKIP,
    AnswerChoice,
    CaregiverChoice,
    ChooseLanguage,
    Consent,
    Pause,
    Press,
    Setting,
    SettingsChoice,
    encode,
)
from flows import Question

Payload = dict[str, Any]

LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def button(text: str, press: Press) -> dict[str, str]:
    return {"text": text, "callback_data": encode(press)}


def keyboard(rows: Sequence[Sequence[Mapping[str, Any]]]) -> dict[str, Any]:
    return {"inline_keyboard": rows}


def message(text: str, markup: dict[str, Any] | None = None) -> Payload:
    payload: Payload = {"text": text}
    if markup is not None:
        payload["reply_markup"] = markup
    return payload


def menu(language: str) -> dict[str, Any]:
    """The persistent menu under the message box: concern first, it is what matters most."""
    return {
        "keyboard": [
            [{"text": t(language, "menu_concern")}],
            [{"text": t(language, "menu_checkin")}, {"text": t(language, "menu_status")}],
        ],
        "resize_keyboard": True,
        "is_persistent": True,
    }


def question(checkin_id: int, asked: Question) -> Payload:
    """One question per message; a button for every choice (NRS values in rows of six)."""
    lines = [asked.text, *(f"• {statement}" for statement in asked.statements)]
    buttons = [
        button(choice.label, AnswerChoice(checkin_id, asked.id, choice.id))
        for choice in asked.choices
    ]
    width = 6 if asked.type == "nrs" else 1
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    if asked.skip_label:
        rows.append([button(asked.skip_label, AnswerChoice(checkin_id, asked.id, SKIP))])
    return message("\n".join(lines), keyboard(rows) if rows else None)


def consent(language: str, episode_id: int) -> Payload:
    return message(
        t(language, "consent_question"),
        keyboard(
            [
                [button(t(language, "consent_yes"), Consent(episode_id, agreed=True))],
                [button(t(language, "consent_no"), Consent(episode_id, agreed=False))],
            ]
        ),
    )


def confirm_settings(language: str, timezone: str) -> Payload:
    return message(
        t(language, "confirm_settings", timezone=timezone),
        keyboard(
            [
                [button(t(language, "settings_ok"), SettingsChoice(Setting.OK))],
                [button(t(language, "settings_change_language"), SettingsChoice(Setting.LANGUAGE))],
                [button(t(language, "settings_change_timezone"), SettingsChoice(Setting.TIMEZONE))],
            ]
        ),
    )


def choose_language(language: str, languages: list[str]) -> Payload:
    rows = [[button(LANGUAGE_NAMES.get(code, code), ChooseLanguage(code))] for code in languages]
    return message(t(language, "choose_language"), keyboard(rows))


def confirm_pause(language: str) -> Payload:
    return message(
        t(language, "stop_confirm"),
        keyboard(
            [
                [button(t(language, "stop_yes"), Pause(confirmed=True))],
                [button(t(language, "stop_no"), Pause(confirmed=False))],
            ]
        ),
    )


def caregivers(language: str, count: int, most: int) -> Payload:
    """After /caregiver: how many they have; add one (while under ``most``), remove them."""
    rows = []
    if count < most:
        rows.append([button(t(language, "caregiver_add"), CaregiverChoice(add=True))])
    if count:
        rows.append([button(t(language, "caregiver_remove"), CaregiverChoice(add=False))])
    return message(t(language, "caregiver_menu", count=count, most=most), keyboard(rows))
