"""What the patient sees: Bot API message payloads (text and buttons), in their language.

Button data is short and self-describing so that a stale or forged press can be recognised:
``a:<check-in>:<question>:<choice>`` answers a question of one check-in, and nothing else.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from flows import Question

Payload = dict[str, Any]

ANSWER = "a"
CONSENT = "c"
SETTINGS = "s"
LANGUAGE = "l"
PAUSE = "p"
SKIP = "skip"
LANGUAGE_NAMES = {"en": "English", "es": "Español"}


def button(text: str, data: str) -> dict[str, str]:
    return {"text": text, "callback_data": data}


def keyboard(rows: list[list[dict[str, str]]]) -> dict[str, Any]:
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
    prefix = f"{ANSWER}:{checkin_id}:{asked.id}:"
    buttons = [button(choice.label, prefix + choice.id) for choice in asked.choices]
    width = 6 if asked.type == "nrs" else 1
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    if asked.skip_label:
        rows.append([button(asked.skip_label, prefix + SKIP)])
    return message("\n".join(lines), keyboard(rows) if rows else None)


def consent(language: str, episode_id: int) -> Payload:
    return message(
        t(language, "consent_question"),
        keyboard(
            [
                [button(t(language, "consent_yes"), f"{CONSENT}:{episode_id}:yes")],
                [button(t(language, "consent_no"), f"{CONSENT}:{episode_id}:no")],
            ]
        ),
    )


def confirm_settings(language: str, timezone: str) -> Payload:
    return message(
        t(language, "confirm_settings", timezone=timezone),
        keyboard(
            [
                [button(t(language, "settings_ok"), f"{SETTINGS}:ok")],
                [button(t(language, "settings_change_language"), f"{SETTINGS}:language")],
                [button(t(language, "settings_change_timezone"), f"{SETTINGS}:timezone")],
            ]
        ),
    )


def choose_language(language: str, languages: list[str]) -> Payload:
    rows = [[button(LANGUAGE_NAMES.get(code, code), f"{LANGUAGE}:{code}")] for code in languages]
    return message(t(language, "choose_language"), keyboard(rows))


def confirm_pause(language: str) -> Payload:
    return message(
        t(language, "stop_confirm"),
        keyboard(
            [
                [button(t(language, "stop_yes"), f"{PAUSE}:yes")],
                [button(t(language, "stop_no"), f"{PAUSE}:no")],
            ]
        ),
    )
