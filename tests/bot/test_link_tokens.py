"""One-time links: refused when used, expired or guessed, without saying which, and audited
without the Telegram account behind the attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.access import link_guard
from bot.i18n import t
from bot.sandbox import Person
from db.models import AuditEntry, LinkFailure, LinkToken, Patient, StaffRole
from tests.fixtures.journey import START, Journey

WRONG = "aWrongTokenOfTheRightShape_"


async def _audit(journey: Journey, action: str) -> list[AuditEntry]:
    async with journey.runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows)


async def _guess(journey: Journey, person: Person, times: int) -> None:
    for n in range(times):
        journey.sandbox.open_deep_link(person, f"{WRONG}{n:03d}")
        await journey.settle()


@pytest.mark.parametrize("how", ["expired", "used, then opened from another account", "unknown"])
async def test_a_link_that_cannot_be_used_is_refused_and_audited_without_the_account(
    journey: Journey, how: str
) -> None:
    enrolment = await journey.enrol()
    maria, eve = journey.sandbox.user("Maria"), journey.sandbox.user("Eve")
    token = enrolment.token
    if how == "expired":
        journey.clock.advance(timedelta(days=15))
    elif how == "unknown":
        token = f"{WRONG}000"
    else:
        journey.sandbox.open_deep_link(maria, token)
        await journey.settle()
    journey.sandbox.open_deep_link(eve, token)
    await journey.settle()
    assert journey.texts(eve) == [t("en", "start_link_invalid")]
    refused = [e for e in await _audit(journey, "patient.link") if e.outcome == "refused"]
    assert [(e.actor_ref, e.patient_ref) for e in refused] == [("telegram:unknown", None)]
    everything = " ".join(str(vars(e)) for e in await _audit(journey, "patient.link"))
    assert str(eve.id) not in everything and str(maria.id) not in everything


async def test_guessing_links_stops_even_the_right_one_for_a_while(journey: Journey) -> None:
    enrolment = await journey.enrol()
    maria = journey.sandbox.user("Maria")
    await _guess(journey, maria, link_guard.LIMITS.per_account)
    assert set(journey.texts(maria)) == {t("en", "start_link_invalid")}

    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    journey.sandbox.open_deep_link(maria, f"{WRONG}999")
    await journey.settle()
    # The right link and a wrong one get the same answer: neither was looked at.
    assert journey.texts(maria)[-2:] == [t("en", "start_link_throttled")] * 2
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(LinkToken.used_at)) is None
    assert len(await _audit(journey, "link.throttled")) == 2

    journey.clock.advance(link_guard.LIMITS.window)
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "consent_question")
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(Patient.telegram_user_id)) == maria.id


async def test_someone_elses_guessing_does_not_hold_a_patient_back(journey: Journey) -> None:
    enrolment = await journey.enrol()
    eve, maria = journey.sandbox.user("Eve"), journey.sandbox.user("Maria")
    await _guess(journey, eve, link_guard.LIMITS.per_account + 2)
    assert journey.texts(eve)[-1] == t("en", "start_link_throttled")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "consent_question")


async def test_forty_accounts_guessing_lock_nobody_out_and_warn_the_admins(
    journey: Journey,
) -> None:
    """Forty accounts, five wrong links each: the 200 that used to lock every link."""
    enrolment = await journey.enrol()
    admin = await journey.staff_member("Iris", StaffRole.ADMIN)
    guessers = [journey.sandbox.user(f"Guesser {n}") for n in range(40)]
    for n, guesser in enumerate(guessers):
        for k in range(link_guard.LIMITS.per_account):
            journey.sandbox.open_deep_link(guesser, f"{n:03d}{k}{WRONG}")  # all unalike
    await journey.settle()
    assert {t_ for g in guessers for t_ in journey.texts(g)} == {t("en", "start_link_invalid")}

    maria = journey.sandbox.user("Maria")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "consent_question")
    warnings = [m for m in journey.texts(admin) if "wrong enrolment or staff links" in m]
    assert len(warnings) == 1  # once a window, however many more guesses come
    assert "200 wrong" in warnings[0]
    assert str(guessers[0].id) not in warnings[0]


async def test_guesses_around_one_link_stop_at_its_prefix_but_never_a_fresh_account(
    journey: Journey,
) -> None:
    enrolment = await journey.enrol()
    start = link_guard.prefix(enrolment.token)
    guessers = [journey.sandbox.user(f"Guesser {n}") for n in range(link_guard.LIMITS.per_prefix)]
    for n, guesser in enumerate(guessers):
        journey.sandbox.open_deep_link(guesser, f"{start}{WRONG}{n:03d}")
    await journey.settle()
    # Each guesser has one wrong link of five, but the prefix has had its ten: the next
    # guess around it is refused unlooked, even the right link.
    journey.sandbox.open_deep_link(guessers[0], enrolment.token)
    await journey.settle()
    assert journey.texts(guessers[0])[-1] == t("en", "start_link_throttled")
    async with journey.runtime.sessions() as session:
        assert await session.scalar(select(LinkToken.used_at)) is None
    # A guess elsewhere is still looked at; and the patient, who never failed, gets in.
    journey.sandbox.open_deep_link(guessers[1], f"{WRONG}elsewhere")
    await journey.settle()
    assert journey.texts(guessers[1])[-1] == t("en", "start_link_invalid")
    maria = journey.sandbox.user("Maria")
    journey.sandbox.open_deep_link(maria, enrolment.token)
    await journey.settle()
    assert journey.texts(maria)[-1] == t("en", "consent_question")


async def test_failures_are_forgotten_once_they_no_longer_count(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions.begin() as session:
        link_guard.failed(session, 1, f"{WRONG}1", START)
        link_guard.failed(session, 2, f"{WRONG}2", START + timedelta(minutes=1))
    async with sessions.begin() as session:
        await link_guard.over_limit(session, 3, WRONG, START + link_guard.LIMITS.window)
    async with sessions() as session:
        kept = list(await session.scalars(select(LinkFailure.telegram_user_id)))
    assert kept == [2]
