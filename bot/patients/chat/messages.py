"""What a patient writes in their chat: the menu's words and commands, a reply to the open
question, a photo, a voice message, an edit. What no question waits for is a message to the
care team. Anyone who is no patient is refused and audited."""

from __future__ import annotations

from bot.access.visitors import Visit
from bot.checkins import concern
from bot.checkins import conversation as checkins
from bot.correspondence.from_patient import Said, keep_message
from bot.i18n import catalogue as words
from bot.i18n import t
from bot.patients.caregivers import from_patient as caregivers
from bot.patients.caregivers import helping
from bot.patients.chat import requests
from bot.staff.views import staff_member
from bot.telegram.render import patient as render
from db.models import Content
from flows import Photo

MENU_KEYS = ("menu_concern", "menu_checkin", "menu_status")
# The commands that do what a menu button does.
COMMAND_KEYS = {"help": "menu_concern", "checkin": "menu_checkin", "status": "menu_status"}


async def typed(visit: Visit, text: str, update_id: int) -> None:
    """A menu button's words (in any language), a time zone asked for, or a reply to the
    question being asked."""
    chat, svc = visit.chat, visit.svc
    if visit.caregiving is not None:
        await helping.typed(visit, text, update_id)
        return
    if chat is None:
        await visit.refuse("patient.text")
        return
    said = text.strip()
    menu = {t(lang, key): key for lang in words().languages for key in MENU_KEYS}
    if said in menu:
        await requests.menu(svc, chat, menu[said])
        return
    if chat.patient.awaiting == concern.AWAITING_WORDS:
        await concern.take_words(chat, said, update_id)
        return
    if chat.patient.awaiting == "timezone":
        await requests.set_timezone(svc, chat, said)
        return
    row = await checkins.open_checkin(visit.session, chat.episode.id, chat.now)
    if row is None:  # no question waits: words for the team
        said_to_team = Said(Content.TEXT, text=said)
        await keep_message(chat, said_to_team, svc.site.emergency_number, update_id)
        return
    await checkins.answer(chat, svc.catalogue, svc.site, row, said, update_id=update_id)


async def photo(visit: Visit, file_id: str, caption: str | None, update_id: int) -> None:
    """A photo answers the open question (a wound photo); at any other time it goes to the
    team, with its caption."""
    chat, svc = visit.chat, visit.svc
    if visit.caregiving is not None:
        await helping.typed(visit, Photo(file_id=file_id), update_id)
        return
    if chat is None:
        await visit.refuse("patient.photo")
        return
    if chat.patient.awaiting == concern.AWAITING_WORDS:
        await concern.take_words(chat, Photo(file_id=file_id), update_id)
        return
    row = await checkins.open_checkin(visit.session, chat.episode.id, chat.now)
    if row is None:
        said = Said(Content.PHOTO, text=(caption or "").strip() or None, file_id=file_id)
        await keep_message(chat, said, svc.site.emergency_number, update_id)
        return
    reply = Photo(file_id=file_id)
    await checkins.answer(chat, svc.catalogue, svc.site, row, reply, update_id=update_id)


async def voice(visit: Visit, file_id: str, update_id: int) -> None:
    """A voice message answers no question: it goes to the team (the bot cannot listen)."""
    chat = visit.chat
    if visit.caregiving is not None:
        helping.explain(visit.caregiving)
        return
    if chat is None:
        await visit.refuse("patient.voice")
        return
    said = Said(Content.VOICE, file_id=file_id)
    await keep_message(chat, said, visit.svc.site.emergency_number, update_id)


async def edited(visit: Visit) -> None:
    """An edit never changes a recorded answer; the patient is told how to report a change."""
    if visit.caregiving is not None:
        helping.explain(visit.caregiving)
        return
    if visit.chat is None:
        await visit.refuse("patient.edit", key=None)
        return
    visit.chat.send(render.message(t(visit.chat.language, "edited_ignored")), "reply")


async def command(visit: Visit, name: str) -> None:
    """/help, /checkin, /status, /stop, /language, /timezone, /caregiver (``name`` without
    the slash); a caregiver's are theirs."""
    chat, svc = visit.chat, visit.svc
    if visit.caregiving is not None:
        await helping.command(visit, name)
        return
    if chat is None:
        await visit.refuse("patient.command")
        return
    if name in COMMAND_KEYS:
        await requests.menu(svc, chat, COMMAND_KEYS[name])
    elif name == "stop":
        chat.send(render.confirm_pause(chat.language), "confirm_pause")
    elif name == "language":
        await requests.offer_languages(svc, chat)
    elif name == "timezone":
        requests.ask_timezone(chat)
    elif name == "caregiver":
        await caregivers.offer(chat)


async def unknown_command(visit: Visit) -> None:
    """A command the bot does not know: a patient is shown theirs, in their language; a
    member of staff theirs; a caregiver theirs; anyone else is refused as for any command."""
    if visit.caregiving is not None:
        helping.explain(visit.caregiving)
        return
    if visit.chat is not None:
        chat = visit.chat
        chat.send(
            render.message(t(chat.language, "commands_patient"), render.menu(chat.language)),
            "reply",
        )
        return
    user = visit.sender.telegram_user_id
    if user is not None and await staff_member(visit.session, user) is not None:
        visit.tell("commands_staff")
        return
    await visit.refuse("patient.command")
