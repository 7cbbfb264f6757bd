"""One stranger writing thousands of messages: answered a few times an hour, counted once an
hour in the audit log under a keyed hash, and never ahead of a patient."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.access.strangers import ANSWERED_PER_HOUR
from bot.i18n import t
from db.models import AuditEntry, InboxUpdate, Patient
from tests.fixtures.journey import Journey

FLOOD = 3 * ANSWERED_PER_HOUR


async def _audit(journey: Journey) -> list[AuditEntry]:
    async with journey.runtime.sessions() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_a_flooding_stranger_is_answered_a_few_times_and_audited_once_an_hour(
    journey: Journey,
) -> None:
    eve = journey.sandbox.user("Eve")
    for n in range(FLOOD):
        journey.sandbox.send_text(eve, f"hello {n}")
    await journey.settle()
    assert journey.texts(eve) == [t("en", "start_without_link")] * ANSWERED_PER_HOUR
    refused = [e for e in await _audit(journey) if e.outcome == "refused"]
    assert len(refused) == ANSWERED_PER_HOUR

    await journey.at(journey.clock.now() + timedelta(hours=1))
    await journey.settle()
    counted = [e for e in await _audit(journey) if e.action == "stranger.updates"]
    assert len(counted) == 1
    assert counted[0].detail["updates"] == FLOOD
    assert counted[0].detail["answered"] == ANSWERED_PER_HOUR
    assert counted[0].actor_ref.startswith("telegram:unknown:")
    everything = " ".join(str(vars(e)) for e in await _audit(journey))
    assert str(eve.id) not in everything

    # The next hour counts anew, under the same keyed name.
    journey.sandbox.send_text(eve, "still here")
    await journey.settle()
    await journey.at(journey.clock.now() + timedelta(hours=1))
    await journey.settle()
    again = [e for e in await _audit(journey) if e.action == "stranger.updates"]
    assert [e.detail["updates"] for e in again] == [FLOOD, 1]
    assert again[1].actor_ref == counted[0].actor_ref
    assert journey.texts(eve)[-1] == t("en", "start_without_link")


async def test_a_patient_is_not_held_behind_a_stranger_s_flood(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    eve = journey.sandbox.user("Eve")
    for n in range(FLOOD * 5):
        journey.sandbox.send_text(eve, f"hello {n}")
    journey.sandbox.send_text(maria, "/status")
    await journey.runtime.poller.poll_once(0)
    # One batch of the inbox: the patient's update is in it, though 300 came before.
    await journey.runtime.inbox._process_pending(100, set())
    async with journey.runtime.sessions() as session:
        waiting = await session.scalar(
            select(func.count())
            .select_from(InboxUpdate)
            .where(InboxUpdate.processed_at.is_(None), InboxUpdate.chat_id == maria.id)
        )
    assert waiting == 0
    await journey.settle()
    assert "/status" not in journey.texts(maria)[-1]


async def test_a_stranger_s_raw_updates_are_deleted_after_seven_days(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    eve = journey.sandbox.user("Eve")
    journey.sandbox.send_text(eve, "hello")
    await journey.settle()

    async def senders() -> set[int | None]:
        async with journey.runtime.sessions() as session:
            return set(await session.scalars(select(InboxUpdate.chat_id)))

    assert {maria.id, eve.id} <= await senders()
    await journey.at(journey.clock.now() + timedelta(days=6, hours=23))
    await journey.settle()
    assert eve.id in await senders()
    await journey.at(journey.clock.now() + timedelta(hours=2))
    await journey.settle()
    kept = await senders()
    assert eve.id not in kept and maria.id in kept


async def test_past_the_allowance_a_link_still_opens_for_an_account_that_never_failed_one(
    journey: Journey,
) -> None:
    enrolment = await journey.enrol()
    maria = journey.sandbox.user("Maria")
    for n in range(FLOOD):
        journey.sandbox.send_text(maria, f"is anyone there? {n}")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    assert t("en", "consent_question") in journey.texts(maria)
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(Patient.telegram_user_id)) == maria.id


async def test_a_stranger_s_flood_of_wrong_links_is_silenced_past_the_allowance(
    journey: Journey,
) -> None:
    eve = journey.sandbox.user("Eve")
    for n in range(FLOOD):
        journey.sandbox.open_deep_link(eve, f"aWrongTokenOfTheRightShape_{n:03d}")
    await journey.settle()
    assert len(journey.texts(eve)) == ANSWERED_PER_HOUR
    assert len(await _audit(journey)) <= 2 * ANSWERED_PER_HOUR  # each answered: link, refusal
