"""A caregiver in their own chat with the bot: they answer the patient's open check-in.

What a caregiver may do is narrower than what the patient may: answer the question the
patient's check-in waits on (/checkin shows it), nothing else. Consent, settings, a pause
and messages to the team stay the patient's. A press on a message not in the caregiver's
own chat, or of any other kind, changes nothing and is audited.
"""

from __future__ import annotations

from bot.access.visitors import Visit
from bot.checkins import concern
from bot.checkins import conversation as checkins
from bot.context import PatientChat
from bot.i18n import t
from bot.telegram.callbacks import SKIP, AnswerChoice, PatientPress
from bot.telegram.render import patient as render
from db.audit import append
from flows import Photo


def _helping(visit: Visit) -> PatientChat:
    assert visit.caregiving is not None and visit.caregiving.caregiver is not None
    return visit.caregiving


def explain(chat: PatientChat) -> None:
    """What a caregiver can do here."""
    chat.send(render.message(t(chat.language, "caregiver_help")), "reply")


async def command(visit: Visit, name: str) -> None:
    chat = _helping(visit)
    if name != "checkin":
        explain(chat)
        return
    row = await checkins.open_checkin(chat.session, chat.episode.id, chat.now)
    if row is None or not await checkins.show_current(chat, visit.svc.catalogue, row):
        chat.send(render.message(t(chat.language, "caregiver_nothing_waiting")), "reply")


async def pressed(visit: Visit, where: int | None, press: PatientPress) -> None:
    chat = _helping(visit)
    assert chat.caregiver is not None
    if where != chat.caregiver.telegram_chat_id or not isinstance(press, AnswerChoice):
        await _refused(chat, "not an answer in the caregiver's chat")
        if where == chat.caregiver.telegram_chat_id:
            explain(chat)
        return
    if press.question_id == concern.WORDS_ITEM:  # the patient's own words about a concern
        await _refused(chat, "the patient's own words")
        return
    row = await checkins.answerable(chat.session, chat.episode.id, press.checkin_id, chat.now)
    if row is None:
        await _refused(chat, "not the open check-in")
        chat.send(render.message(t(chat.language, "button_stale")), "stale_button")
        return
    reply = "skip" if press.choice is SKIP else press.choice
    svc = visit.svc
    await checkins.answer(chat, svc.catalogue, svc.site, row, reply, question_id=press.question_id)


async def typed(visit: Visit, reply: str | Photo, update_id: int) -> None:
    """Words or a photo answer the open question; at any other time they are explained
    what a caregiver can do (nothing of theirs goes to the team from here)."""
    chat = _helping(visit)
    row = await checkins.open_checkin(chat.session, chat.episode.id, chat.now)
    if row is None:
        explain(chat)
        return
    if isinstance(reply, str):
        reply = reply.strip()
    svc = visit.svc
    await checkins.answer(chat, svc.catalogue, svc.site, row, reply, update_id=update_id)


async def _refused(chat: PatientChat, reason: str) -> None:
    assert chat.caregiver is not None
    await append(
        chat.session,
        at=chat.now,
        actor_kind="caregiver",
        actor_ref=f"caregiver:{chat.caregiver.id}",
        action="caregiver.button",
        outcome="refused",
        origin="telegram",
        patient_ref=chat.patient.ref,
        detail={"reason": reason},
    )
