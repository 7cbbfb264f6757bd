"""One card per open alert: new findings redraw it, a higher tier posts it again, and an
acknowledged alert nobody resolves is asked about again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

import flows.triage
from bot.checkins import conversation
from bot.sandbox import Person
from db.models import Alert, AlertEvent, AlertStatus, StaffRole
from tests.fixtures.journey import SURGERY, Journey, buttons, local

MADRID = "Europe/Madrid"
POD1_9AM = local(SURGERY + timedelta(days=1), 9, MADRID)
POD2_9AM = local(SURGERY + timedelta(days=2), 9, MADRID)


def _cards_posted(journey: Journey) -> int:
    sent = journey.sandbox.ledger.calls("sendMessage", chat_id=journey.ward.chat_id)
    return sum(1 for call in sent if "alert #" in call.params.get("text", ""))


def _card_edits(journey: Journey) -> int:
    return len(journey.sandbox.ledger.calls("editMessageText", chat_id=journey.ward.chat_id))


async def _alert(journey: Journey) -> Alert:
    async with journey.runtime.sessions() as session:
        alert = await session.scalar(select(Alert))
    assert alert is not None
    return alert


async def _bleeding_then(journey: Journey, maria: Person, *, temperature: str) -> None:
    """POD 1: a soaked dressing (red_urgent at once), then the rest of the check-in."""
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "soaked"):
        await journey.answer(maria, choice)
    for choice in ("6", "3", "partly", "in_room"):
        await journey.answer(maria, choice)
    await journey.type(maria, temperature)


def _calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    """Count the calls to ``module.name`` (a function or a coroutine function)."""
    calls: list[object] = []
    original: Callable[..., Any] = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


async def test_the_last_answer_is_scored_once_and_its_red_flag_raises_one_alert_once(
    journey: Journey, monkeypatch: pytest.MonkeyPatch
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, "/help")  # the red-flag screen: a fall comes last
    for choice in ("none", "normal", "dry", "7", "1"):  # back pain 7: amber, raised at the end
        await journey.answer(maria, choice)
    await journey.type(maria, "skip")  # temperature
    for choice in ("none", "none", "awake", "some", "no", "no"):
        await journey.answer(maria, choice)
    assert _cards_posted(journey) == 0
    scored = _calls(monkeypatch, flows.triage, "_assess")  # score() and score_missed()
    raised = _calls(monkeypatch, conversation, "raise_alert")
    await journey.answer(maria, "yes")  # a fall with pain 7: red_urgent
    advice, _words_prompt = journey.texts(maria)[-2:]  # the screen's outcome, then "anything else?"
    assert advice.startswith("A nurse will call you within the hour")
    assert (len(scored), len(raised)) == (1, 1)
    assert (_cards_posted(journey), _card_edits(journey)) == (1, 0)
    alert = await _alert(journey)
    async with journey.runtime.sessions() as session:
        events = list(await session.scalars(select(AlertEvent.kind)))
    assert events == ["opened", "card_sent"]  # raised, then delivered to the team chat
    assert [f.rule for f in alert.findings] == ["fall_with_signs", "pain_high", "fell"]


async def test_new_findings_of_the_same_tier_redraw_the_card(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await _bleeding_then(journey, maria, temperature="38.7")  # fever_high: red_urgent too
    assert _cards_posted(journey) == 1
    assert _card_edits(journey) >= 1
    card = journey.card()
    assert "Dressing soaked with blood" in card["text"]
    assert "Temperature 38.5 °C or higher [temperature = 38.7 °C] (fever_high)" in card["text"]
    assert "Recent trend:" in card["text"]
    assert "back pain 6 (POD 1)" in card["text"] and "leg pain 3 (POD 1)" in card["text"]
    assert "walking in room (POD 1)" in card["text"]
    assert [label for label, _ in buttons(card)] == [
        "Acknowledge",
        "Resolve",
        "Add note",
        "Open console",
    ]
    alert = await _alert(journey)
    assert [f.rule for f in alert.findings] == ["wound_bleeding", "fever_high"]


async def test_a_redrawn_card_keeps_who_acknowledged_it(journey: Journey) -> None:
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "soaked"):
        await journey.answer(maria, choice)
    journey.sandbox.press_button(ana, journey.card(), buttons(journey.card())[0][1])
    await journey.settle()
    for choice in ("6", "3", "partly", "in_room"):
        await journey.answer(maria, choice)
    await journey.type(maria, "38.7")
    card = journey.last(journey.ward)
    assert "fever_high" in card["text"] and "✅ Acknowledged by Ana at 09:00" in card["text"]
    assert [label for label, _ in buttons(card)] == ["Resolve", "Add note", "Open console"]
    assert (await _alert(journey)).status is AlertStatus.ACKNOWLEDGED


async def test_a_rising_tier_notifies_again_and_asks_for_acknowledgement_again(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana", on_call=True)
    maria, _ = await journey.enrolled_patient()
    await _bleeding_then(journey, maria, temperature="36.8")
    first = journey.card()
    journey.sandbox.press_button(ana, first, buttons(first)[0][1])
    await journey.settle()
    assert (await _alert(journey)).status is AlertStatus.ACKNOWLEDGED
    told_before = len(journey.texts(ana))

    await journey.at(POD2_9AM)
    await journey.answer(maria, "none")
    await journey.answer(maria, "leaking")  # new incontinence: red_emergency

    assert _cards_posted(journey) == 2
    second = journey.card()
    assert second["message_id"] != first["message_id"]
    assert "RED — EMERGENCY" in second["text"] and "cauda_equina_incontinence" in second["text"]
    assert "Dressing soaked" in second["text"]  # the same alert: earlier findings stay
    assert [label for label, _ in buttons(second)] == [
        "Acknowledge",
        "Resolve",
        "Add note",
        "Open console",
    ]
    old = next(
        m
        for m in journey.sandbox.messages_to(journey.ward)
        if m["message_id"] == first["message_id"]
    )
    assert "see its new card below" in old["text"] and buttons(old) == []
    alert = await _alert(journey)
    assert (alert.tier, alert.status, alert.acknowledged_by) == (
        "red_emergency",
        AlertStatus.OPEN,
        None,
    )
    # red_emergency's chain tells the on-call nurse at once
    assert any("has not been acknowledged" in text for text in journey.texts(ana)[told_before:])


async def test_an_acknowledged_alert_left_unresolved_is_asked_about_again(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana", StaffRole.NURSE)
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)
    for choice in ("none", "normal", "soaked"):  # red_urgent: contact within 60 min
        await journey.answer(maria, choice)
    await journey.at(POD1_9AM + timedelta(minutes=5))
    journey.sandbox.press_button(ana, journey.card(), buttons(journey.card())[0][1])
    await journey.settle()
    acknowledged = journey.clock.now()

    def asked(who: Person | None = None) -> list[str]:
        texts = journey.texts(who or journey.ward)
        return [text for text in texts if "is not resolved yet" in text]

    await journey.at(acknowledged + timedelta(minutes=59))
    assert asked() == [] and asked(ana) == []
    await journey.at(acknowledged + timedelta(minutes=60))
    assert len(asked()) == 1 and len(asked(ana)) == 1
    assert "acknowledged by Ana 60 min ago" in asked()[0]
    await journey.at(acknowledged + timedelta(minutes=119))
    assert len(asked()) == 1
    await journey.at(acknowledged + timedelta(minutes=120))
    assert len(asked()) == 2

    for label in ("Resolve", "False alarm"):
        card = journey.card()
        data = next(d for text, d in buttons(card) if text == label)
        journey.sandbox.press_button(ana, card, data)
        await journey.settle()
    assert (await _alert(journey)).status is AlertStatus.RESOLVED
    await journey.at(acknowledged + timedelta(hours=5))
    assert len(asked()) == 2
    async with journey.runtime.sessions() as session:
        kinds = list(await session.scalars(select(AlertEvent.kind).order_by(AlertEvent.id)))
    assert kinds.count("reprompted") == 2
