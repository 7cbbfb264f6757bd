"""What the care team sees of a patient's message in its group, and the prompts that ask a
member of the team for a reply or a note (Telegram's ForceReply: the answer comes as a
reply to the prompt, so that nothing else written in the group can reach the patient)."""

from __future__ import annotations

from typing import Any

from bot.telegram.callbacks import NoteOnAlert, NoteOnMessage, ReplyToPatient
from bot.telegram.render.patient import Payload, button, keyboard, message

CAPTION_LIMIT = 1024  # Telegram's limit for a photo's or a voice message's caption
TEXT_LIMIT = 4096  # and for a message's text
# What a card says a message carries, and the Bot API method that shows it.
SHOWN = {"text": ("✉️", "sendMessage"), "photo": ("📷", "sendPhoto"), "voice": ("🎤", "sendVoice")}
NOTE_HEADING = "Note for the record (not sent to the patient)"


def message_card(
    *,
    message_id: int,
    content: str,
    text: str | None,
    file_id: str | None,
    patient_ref: str,
    patient_name: str | None,
    procedure: str | None,
    pod: int,
) -> tuple[str, Payload]:
    """(Bot API method, payload) of the card of one message from a patient: who wrote, and
    what (a photo or voice message goes by its file id, with the words as its caption)."""
    icon, method = SHOWN[content]
    who = patient_ref + (f" ({patient_name})" if patient_name else "")
    lines = [
        f"{icon} Message from patient {who}",
        " · ".join(x for x in (procedure, f"POD {pod}") if x),
    ]
    if text:
        lines.extend(["", text])
    limit = TEXT_LIMIT if content == "text" else CAPTION_LIMIT
    shown = "\n".join(lines)
    shown = shown if len(shown) <= limit else shown[: limit - 1] + "…"  # all of it is kept
    markup = keyboard(
        [
            [
                button("Reply to patient", ReplyToPatient(message_id)),
                button("Add note", NoteOnMessage(message_id)),
            ]
        ]
    )
    if content == "text":
        return method, message(shown, markup)
    return method, {content: file_id, "caption": shown, "reply_markup": markup}


def _force_reply(placeholder: str) -> dict[str, Any]:
    return {"force_reply": True, "input_field_placeholder": placeholder}


def reply_prompt(patient_ref: str, by: str) -> Payload:
    return message(
        f"{by}: reply to this message with your answer to patient {patient_ref}. "
        "It is sent to the patient as you write it, as “Your care team: …”.",
        _force_reply(f"Answer to {patient_ref}"),
    )


def note_prompt(patient_ref: str, by: str, alert_id: int | None) -> Payload:
    about = f"alert #{alert_id} of patient {patient_ref}" if alert_id else f"patient {patient_ref}"
    return message(
        f"{NOTE_HEADING}, on {about}. {by}: reply to this message with the note.",
        _force_reply(f"Note on {patient_ref}"),
    )


def note_button(alert_id: int) -> dict[str, str]:
    """The alert card's button for a note."""
    return button("Add note", NoteOnAlert(alert_id))
