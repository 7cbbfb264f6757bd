"""A concern (/help) as the bot adds to the protocol's screen: never answered "on track",
and followed by the patient's own words.

The screen's items, and the ``patient_concern`` rule that gives a concern the team's card
when no other rule fired, belong to the protocol. Until a protocol has that rule, the bot
adds the same finding itself (``with_concern_finding``); once it has it, nothing is added.
After the screen the patient may tell the team in their own words, typed or as a photo,
or skip: the words go onto the alert's card, and are the patient's free text (erased with
it).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.alerts.raising import raise_alert
from bot.context import PatientChat
from bot.i18n import catalogue, t
from bot.telegram.callbacks import SKIP, AnswerChoice
from bot.telegram.render import patient as render
from db.models import Answer, CheckIn, CheckInStatus
from flows import Assessment, CheckInKind, Finding, Photo, Tier
from flows.schema.protocol import ResponseTarget

CONCERN_RULE = "patient_concern"
WORDS_RULE = "patient_words"
# Answers the bot records beside the protocol's items: the patient's own words or photo.
WORDS_ITEM = "concern_words"
PHOTO_ITEM = "concern_photo"
WORDS_ITEMS = (WORDS_ITEM, PHOTO_ITEM)
AWAITING_WORDS = "concern_words"  # Patient.awaiting while the words are asked for
CARD_WORDS = 600  # characters of them on the card (all are kept with the check-in)


def expected_within(target: ResponseTarget) -> str:
    """The time the patient can expect contact in (the acknowledgement target otherwise)."""
    minutes = target.contact_within_minutes or target.acknowledge_within_minutes
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def nothing_fired(assessment: Assessment) -> bool:
    """No rule of the protocol found anything but the concern itself."""
    return all(f.tier is Tier.GREEN or f.rule == CONCERN_RULE for f in assessment.findings)


def with_concern_finding(assessment: Assessment, pod: int) -> Assessment:
    """A concern screen's assessment as the team must see it: at least amber, with the
    ``patient_concern`` finding when no rule fired (added here while the protocol lacks it)."""
    if not nothing_fired(assessment) or any(f.rule == CONCERN_RULE for f in assessment.findings):
        return assessment
    reason = {lang: t(lang, "alert_patient_concern") for lang in catalogue().languages}
    concern = Finding(CONCERN_RULE, Tier.AMBER, reason=reason, pod=pod)
    return replace(assessment, tier=Tier.AMBER, findings=(*assessment.findings, concern))


def ask_for_words(chat: PatientChat, row: CheckIn, skip_label: str) -> None:
    chat.patient.awaiting = AWAITING_WORDS
    skip = render.button(skip_label, AnswerChoice(row.id, WORDS_ITEM, SKIP))
    chat.send(
        render.message(t(chat.language, "concern_words_prompt"), render.keyboard([[skip]])),
        "concern_words_prompt",
        checkin_id=row.id,
    )


async def take_words(
    chat: PatientChat, words: str | Photo | None, update_id: int | None = None
) -> None:
    """The patient's own words after a concern screen (None: skipped); they go onto the
    team's card. Only the concern just answered takes them: a newer check-in, an answer to
    another one, or the end of the concern's window ends the wait."""
    chat.patient.awaiting = None
    row = await chat.session.scalar(
        select(CheckIn)
        .where(
            CheckIn.episode_id == chat.episode.id,
            CheckIn.kind == CheckInKind.CONCERN,
            CheckIn.status == CheckInStatus.COMPLETED,
            CheckIn.missed_at > chat.now,
        )
        .order_by(CheckIn.completed_at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    if row is None:
        chat.send(render.message(t(chat.language, "concern_words_too_late")), "reply")
        return
    if words is None:
        chat.send(render.message(t(chat.language, "concern_words_skipped")), "reply")
        return
    photo = isinstance(words, Photo)
    item, value = (PHOTO_ITEM, words.file_id) if isinstance(words, Photo) else (WORDS_ITEM, words)
    on_card = value if len(value) <= CARD_WORDS else value[: CARD_WORDS - 1] + "…"
    chat.session.add(
        Answer(
            checkin_id=row.id,
            protocol_version_id=row.protocol_version_id,
            item_id=item,
            value=value,
            answered_at=chat.now,
            late=False,
            update_id=update_id,
        )
    )
    key = "alert_patient_photo" if photo else "alert_patient_words"
    finding = Finding(
        WORDS_RULE,
        Tier.AMBER,
        items=() if photo else (WORDS_ITEM,),
        reason={lang: t(lang, key) for lang in catalogue().languages},
        answers={} if photo else {WORDS_ITEM: on_card},
        pod=row.pod,
        checkin_id=row.id,
    )
    await raise_alert(
        chat.session,
        episode_id=row.episode_id,
        now=chat.now,
        cause="rule",
        findings=[finding],
        checkin_id=row.id,
        protocol_version_id=row.protocol_version_id,
        photos=[value] if photo else [],
        pod=row.pod,
    )
    chat.send(render.message(t(chat.language, "concern_words_thanks")), "reply")
