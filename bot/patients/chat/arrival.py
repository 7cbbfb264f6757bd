"""/start: someone opens the bot's chat, with a personal link or without.

A patient opens their link (or a new one of theirs) and is welcomed and asked to consent;
a patient who paused comes back; a patient who has not consented yet is asked again; a staff
member links their account with their own link; a caregiver opens the link the patient or
the team made for them (``caregivers.joining``). Anyone else, or a link that cannot be used,
gets an answer that says nothing about any patient, and every wrong link counts against the
limit on guessing.
"""

from __future__ import annotations

from bot.access import link_guard
from bot.access.tokens import purpose_of
from bot.access.visitors import Visit
from bot.context import PatientChat
from bot.i18n import t
from bot.patients.caregivers import helping, joining
from bot.patients.chat.first_contact import redeem_link, welcome
from bot.patients.chat.requests import next_checkin
from bot.staff.admins import tell_admins
from bot.staff.registry import link_staff
from bot.telegram.render import patient as render
from db.models import EpisodeStatus, TokenPurpose


async def start(visit: Visit, token: str) -> None:
    """``token`` is the deep link's (empty for a plain /start)."""
    chat, session, now = visit.chat, visit.session, visit.now
    user_id, chat_id = visit.sender.telegram_user_id, visit.sender.chat_id
    if token and await _caregiver_link(visit, token):
        return
    if visit.caregiving is not None:  # a caregiver's plain /start
        helping.explain(visit.caregiving)
        return
    if chat is not None and chat.episode.status is EpisodeStatus.PAUSED:
        await resume(chat)
        return
    if chat is not None and chat.episode.status is EpisodeStatus.ON_HOLD:  # only the team resumes
        emergency = await chat.emergency_number(visit.svc.site.emergency_number)
        chat.send(render.message(t(chat.language, "on_hold", emergency_number=emergency)), "reply")
        return
    if chat is not None and chat.episode.status is EpisodeStatus.ACTIVE:
        chat.send(render.message(t(chat.language, "already_enrolled")), "reply")
        return
    if chat is not None and not token:  # linked but not consented yet: ask again
        await welcome(chat, visit.svc.catalogue, visit.svc.site.emergency_number)
        return
    if not token or user_id is None or chat_id is None:
        await visit.refuse("patient.start")
        return
    if await link_guard.over_limit(session, user_id, token, now):
        await link_guard.refused_unchecked(session, now)
        visit.tell("start_link_throttled")  # audited as throttled
        return
    if chat is None and await purpose_of(session, token) is TokenPurpose.STAFF:
        member = await link_staff(session, token, user_id, now)
        if member is not None:
            visit.tell("staff_linked", name=member.name)
            return
    linked = await redeem_link(
        session, token, user_id, chat_id, now, linked_to=chat.patient if chat else None
    )
    if linked is None:
        link_guard.failed(session, user_id, token, now)
        await _warn_admins_of_guessing(visit)
        visit.tell("start_link_invalid")  # the link attempt is audited
        return
    await welcome(linked, visit.svc.catalogue, visit.svc.site.emergency_number)


async def _caregiver_link(visit: Visit, token: str) -> bool:
    """A caregiver's link, opened (True); anything else goes the usual way, which also
    refuses an account over its limit of wrong links."""
    user_id = visit.sender.telegram_user_id
    if user_id is None or visit.sender.chat_id is None:
        return False
    if await link_guard.over_limit(visit.session, user_id, token, visit.now):
        return False
    if await purpose_of(visit.session, token) is not TokenPurpose.CAREGIVER:
        return False
    await joining.open_link(visit, token)
    return True


async def resume(chat: PatientChat) -> None:
    """Check-ins start again; the next one is named."""
    chat.episode.status = EpisodeStatus.ACTIVE
    chat.episode.updated_at = chat.episode.resumed_at = chat.now
    upcoming = await next_checkin(chat)
    chat.send(
        render.message(
            t(chat.language, "resumed", next_checkin=upcoming), render.menu(chat.language)
        ),
        "resumed",
    )


async def _warn_admins_of_guessing(visit: Visit) -> None:
    """Many wrong links from everyone: nobody is locked out for it, the admins are told
    (once a window)."""
    count = await link_guard.everyone_guessing(visit.session, visit.now)
    if count is None:
        return
    window = link_guard.LIMITS.window
    started = int(visit.now.timestamp() // window.total_seconds())
    await tell_admins(
        visit.session,
        visit.now,
        GUESSING_WARNING.format(count=count, minutes=int(window.total_seconds() // 60)),
        purpose="links_guessed",
        dedupe_key=f"links-guessed:{started}",
    )


GUESSING_WARNING = (
    "Warning: {count} wrong enrolment or staff links were opened in the last {minutes} "
    "minutes, from several Telegram accounts: someone may be guessing links. Valid links "
    "still work; an account that keeps guessing is refused for a while. "
    "See `eras audit list --action patient.link --refused`."
)
