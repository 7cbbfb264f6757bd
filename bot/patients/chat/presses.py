"""What a patient's buttons ask for: an answer, consent, settings, their language, a pause,
a caregiver.

A press is only a request. It acts on the patient's own open check-in and episode, pressed
in their own chat with the bot; anything else changes nothing and is audited.
"""

from __future__ import annotations

from bot.access.visitors import Visit
from bot.checkins import concern
from bot.checkins import conversation as checkins
from bot.context import PatientChat
from bot.i18n import t
from bot.patients.caregivers import from_patient as caregivers
from bot.patients.caregivers import helping
from bot.patients.chat import requests
from bot.patients.chat.first_contact import consent, pause
from bot.telegram.callbacks import (
    SKIP,
    AnswerChoice,
    CaregiverChoice,
    ChooseLanguage,
    Consent,
    PatientPress,
    Pause,
    Setting,
    SettingsChoice,
)
from bot.telegram.render import patient as render
from db.audit import append
from db.models import ProtocolVersion


async def pressed(visit: Visit, where: int | None, press: PatientPress) -> None:
    """``press`` on a message in the chat ``where`` (None: a message Telegram did not show)."""
    if visit.caregiving is not None:  # a caregiver may only answer
        await helping.pressed(visit, where, press)
        return
    chat = visit.chat
    # A patient's buttons live in their own chat with the bot: a press anywhere else
    # (a forged message in a group) is no answer of theirs.
    if chat is None or where != chat.patient.telegram_chat_id:
        await visit.refuse("patient.button", key=None)
        return
    svc, lang = visit.svc, chat.language
    match press:
        case AnswerChoice(_, concern.WORDS_ITEM, _):  # "skip" to the concern's own words
            if chat.patient.awaiting == concern.AWAITING_WORDS:
                await concern.take_words(chat, None)
            else:
                chat.send(render.message(t(lang, "button_stale")), "stale_button")
        case AnswerChoice(checkin_id, question_id, choice):
            row = await checkins.answerable(chat.session, chat.episode.id, checkin_id, chat.now)
            if row is None:  # a finished or closed check-in, or not theirs
                await _refused(chat, "patient.answer", "not the open check-in")
                chat.send(render.message(t(lang, "button_stale")), "stale_button")
                return
            reply = "skip" if choice is SKIP else choice
            await checkins.answer(
                chat, svc.catalogue, svc.site, row, reply, question_id=question_id
            )
        case Consent(episode_id, agreed):
            if episode_id != chat.episode.id:  # a forged episode id changes nothing
                await _refused(chat, "patient.consent", "not their episode")
                return
            version = await chat.session.get_one(ProtocolVersion, chat.episode.protocol_version_id)
            await consent(chat, agreed, svc.catalogue.of(version).schedule.time)
        case SettingsChoice(Setting.LANGUAGE):
            await requests.offer_languages(svc, chat)
        case SettingsChoice(Setting.TIMEZONE):
            requests.ask_timezone(chat)
        case ChooseLanguage(language) if language in await requests.languages(svc, chat):
            chat.patient.language = language
            chat.send(
                render.message(t(language, "language_set"), render.menu(language)), "language_set"
            )
        case Pause(confirmed=True):
            await pause(chat)
        case Pause(confirmed=False):
            chat.send(render.message(t(lang, "stop_cancelled")), "reply")
        case CaregiverChoice(add=True):
            await caregivers.add(chat, svc.site)
        case CaregiverChoice(add=False):
            await caregivers.remove_all(chat)


async def _refused(chat: PatientChat, action: str, reason: str) -> None:
    """A patient's press that names something not theirs (or no longer open), audited."""
    await append(
        chat.session,
        at=chat.now,
        actor_kind="patient",
        actor_ref=f"patient:{chat.patient.ref}",
        action=action,
        outcome="refused",
        origin="telegram",
        patient_ref=chat.patient.ref,
        detail={"reason": reason},
    )
