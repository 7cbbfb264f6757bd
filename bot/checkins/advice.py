"""What a patient is told of a check-in's outcome: the protocol's advice, self-care and the
safety net, and urgent advice given at once, once per check-in. While an emergency alert is
open its advice stands: nothing the patient is told says otherwise."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from bot.alerts.raising import emergency_open
from bot.context import PatientChat, Site
from bot.delivery.outbox import PRIORITY_ALERT, PRIORITY_CONVERSATION
from bot.i18n import t
from bot.telegram.render import patient as render
from bot.telegram.render.patient import Payload
from db.models import CheckIn, OutboxMessage
from flows import Protocol, Tier, reply_texts


def priority(tier: Tier) -> int:
    """Red advice jumps the queue, even at the end of a check-in."""
    return PRIORITY_ALERT if tier.rank >= Tier.RED_URGENT.rank else PRIORITY_CONVERSATION


async def outcome_text(
    chat: PatientChat,
    site: Site,
    protocol: Protocol,
    tier: Tier,
    rules: Sequence[str] = (),
    *,
    advised: bool = False,
) -> str:
    """What the patient is told of an outcome of ``tier`` whose findings are ``rules``: the
    protocol's advice, each rule's self-care line and, for amber and red_urgent, the safety
    net; unless an emergency alert is still open, whose advice then stands (never "on track"
    after it). ``advised``: the tier's advice was given earlier in this check-in (not twice)."""
    number = await chat.emergency_number(site.emergency_number)
    if tier is not Tier.RED_EMERGENCY and await emergency_open(chat.session, chat.episode.id):
        return t(chat.language, "emergency_stands", number=number)
    lines = reply_texts(protocol, tier, rules, chat.language, number)
    if advised:  # the advice and its safety net were told mid-check-in: only self-care is new
        told = set(reply_texts(protocol, tier, (), chat.language, number))
        lines = tuple(line for line in lines if line not in told)
    return "\n\n".join(lines)


async def tell(chat: PatientChat, payload: Payload, tier: Tier, row: CheckIn) -> None:
    """A check-in's outcome to whoever answered; red advice to the patient's caregivers too."""
    if tier.rank >= Tier.RED_URGENT.rank:
        await chat.warn(payload, "checkin_summary", priority=priority(tier), checkin_id=row.id)
        return
    chat.send(payload, "checkin_summary", priority=priority(tier), checkin_id=row.id)


def _advice_key(row: CheckIn) -> str:
    return f"advice:{row.id}:{Tier.RED_URGENT.value}"


async def advised_already(chat: PatientChat, row: CheckIn) -> bool:
    """Urgent advice was already given in this check-in."""
    key = _advice_key(row)
    found = await chat.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)
    )
    return found is not None


async def advise_now(
    chat: PatientChat, site: Site, protocol: Protocol, row: CheckIn, rules: Sequence[str]
) -> None:
    """The urgent advice jumps the queue, once per check-in (a second urgent finding later
    in the check-in adds nothing to it)."""
    if await advised_already(chat, row):
        return
    key = _advice_key(row)
    await chat.warn(
        render.message(await outcome_text(chat, site, protocol, Tier.RED_URGENT, rules)),
        "advice_red_urgent",
        priority=PRIORITY_ALERT,
        checkin_id=row.id,
        dedupe_key=key,
    )
