"""The patient's /caregiver: add a caregiver (a link to hand on) or remove them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import PatientChat, Site
from bot.i18n import t
from bot.patients.caregivers.circle import (
    MAX_CAREGIVERS,
    Actor,
    CaregiverRefused,
    invite,
    linked,
    remove,
)
from bot.telegram.render import patient as render


def _actor(chat: PatientChat) -> Actor:
    return Actor(kind="patient", ref=f"patient:{chat.patient.ref}", origin="telegram")


async def offer(chat: PatientChat) -> None:
    """How many caregivers they have, and the buttons to add or remove."""
    count = len(await linked(chat.session, chat.patient.id))
    chat.send(render.caregivers(chat.language, count, MAX_CAREGIVERS), "caregiver_menu")


async def add(chat: PatientChat, site: Site) -> None:
    try:
        invitation = await invite(chat.session, chat.patient, chat.episode, chat.now, _actor(chat))
    except CaregiverRefused:
        chat.send(render.message(t(chat.language, "caregiver_limit", most=MAX_CAREGIVERS)), "reply")
        return
    link = (
        f"https://t.me/{site.bot_username}?start={invitation.token}"
        if site.bot_username
        else f"/start {invitation.token}"
    )
    until = invitation.expires_at.astimezone(ZoneInfo(chat.patient.timezone))
    text = t(chat.language, "caregiver_link", link=link, until=f"{until:%Y-%m-%d %H:%M}")
    chat.send(render.message(text), "caregiver_link")


async def remove_all(chat: PatientChat) -> None:
    removal = await remove(chat.session, chat.patient, chat.episode.id, chat.now, _actor(chat))
    key = "caregiver_removed" if removal.removed else "caregiver_none"
    chat.send(render.message(t(chat.language, key)), "reply")
