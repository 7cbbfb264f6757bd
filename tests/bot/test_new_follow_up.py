"""A patient whose follow-up ended comes back for another operation: the new episode's link
opens on the same Telegram account, under the same reference or a new one."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from bot.i18n import t
from db.models import AuditEntry, Episode, EpisodeStatus, InboxUpdate, Patient
from tests.fixtures.journey import Journey


@pytest.mark.parametrize("ref", ["P-001", "P-002"])
async def test_a_new_episode_s_link_opens_after_the_follow_up_ended(
    journey: Journey, ref: str
) -> None:
    maria, first = await journey.enrolled_patient()
    async with journey.runtime.sessions.begin() as session:
        await session.execute(
            update(Episode)
            .where(Episode.id == first.episode_id)
            .values(status=EpisodeStatus.COMPLETED)
        )
    second = await journey.enrol(ref, surgery=date(2026, 4, 1))  # a second operation
    heard = len(journey.texts(maria))
    journey.sandbox.open_deep_link(maria, second.token)
    await journey.settle()

    welcome = journey.texts(maria)[heard:]
    assert welcome and "Spine" in welcome[0]
    assert t("en", "start_link_invalid") not in welcome
    async with journey.runtime.sessions() as session:
        set_aside = await session.scalar(select(InboxUpdate).where(InboxUpdate.error.is_not(None)))
        owner = await session.scalar(
            select(Patient.ref).where(Patient.telegram_user_id == maria.id)
        )
        links = list(
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "patient.link"))
        )
    assert set_aside is None
    assert owner == ref
    assert [(e.patient_ref, e.outcome) for e in links][-1] == (ref, "done")
    assert (await journey.runtime.health())["problems"] == []
