"""The team corrects a follow-up in progress: the check-ins ahead follow the corrected dates,
what was answered stays, and the patient is told what changed in their language."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.i18n import t
from bot.patients.course.correction import Correction, correct
from bot.patients.enrolment.enrol import DateUnlikely, EnrolmentRefused
from db.models import AuditEntry, CheckIn, CheckInStatus, Episode, ProtocolVersion
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")


async def _correct(journey: Journey, correction: Correction, **options: bool) -> object:
    async with journey.runtime.sessions.begin() as session:
        done = await correct(
            session,
            journey.runtime.catalogue,
            ref="P-001",
            correction=correction,
            now=journey.clock.now(),
            actor="cli:test",
            **options,
        )
    await journey.settle()
    return done


async def _check_ins(journey: Journey) -> list[tuple[int, CheckInStatus]]:
    async with journey.runtime.sessions() as session:
        rows = await session.execute(
            select(CheckIn.pod, CheckIn.status).order_by(CheckIn.due_at, CheckIn.id)
        )
        return [(pod, status) for pod, status in rows]


async def test_a_corrected_surgery_date_moves_the_check_ins_ahead_and_keeps_the_sent(
    journey: Journey,
) -> None:
    maria, _ = await journey.enrolled_patient()
    await journey.at(POD1_9AM)  # POD 1's check-in is sent: it belongs to the old date
    sent = [row for row in await _check_ins(journey) if row[1] is CheckInStatus.SENT]
    assert sent == [(1, CheckInStatus.SENT)]

    new_surgery = SURGERY + timedelta(days=2)
    done = await _correct(journey, Correction(surgery_date=new_surgery))

    assert done.changed == ("surgery_date",)  # type: ignore[attr-defined]
    assert done.replanned  # type: ignore[attr-defined]
    rows = await _check_ins(journey)
    assert (1, CheckInStatus.SENT) in rows  # what was sent stays as it was
    async with journey.runtime.sessions() as session:
        ahead = await session.scalars(
            select(CheckIn).where(CheckIn.status == CheckInStatus.SCHEDULED)
        )
        for row in ahead:  # each planned from the new date: POD n is n days after it
            due_day = row.due_at.astimezone(ZoneInfo("Europe/Madrid")).date()
            assert due_day == new_surgery + timedelta(days=row.pod)
    told = journey.texts(maria)[-1]
    assert told.startswith(t("en", "updated_by_team"))
    assert t("en", "updated_surgery_date", value=new_surgery.isoformat()) in told


async def test_the_patient_is_told_in_the_language_they_are_moved_to(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    await _correct(journey, Correction(language="es", procedure="L4-5 MIS-TLIF"))
    told = journey.texts(maria)[-1]
    assert told.startswith(t("es", "updated_by_team"))
    assert t("es", "updated_procedure", value="L4-5 MIS-TLIF") in told
    assert t("es", "updated_language", value="Español") in told


async def test_a_new_version_goes_through_set_protocol_and_both_are_audited(
    journey: Journey,
) -> None:
    await journey.enrolled_patient()
    done = await _correct(journey, Correction(protocol="spine-miss-fusion"))
    assert done.changed == ("protocol",)  # type: ignore[attr-defined]
    async with journey.runtime.sessions() as session:
        episode = await session.scalar(select(Episode))
        assert episode is not None
        version = await session.get_one(ProtocolVersion, episode.protocol_version_id)
        assert version.protocol_id == "spine-miss-fusion"
        entries = list(
            await session.execute(
                select(AuditEntry.action, AuditEntry.detail).where(
                    AuditEntry.action.in_(["patient.set_protocol", "patient.update"])
                )
            )
        )
    assert [action for action, _ in entries] == ["patient.set_protocol", "patient.update"]
    assert entries[1][1] == {"changed": ["protocol"]}  # field names, never values


async def test_the_values_it_has_already_change_nothing_and_tell_nobody(journey: Journey) -> None:
    maria, _ = await journey.enrolled_patient()
    before = len(journey.texts(maria))
    done = await _correct(journey, Correction(surgery_date=SURGERY, language="en"))
    assert done.changed == ()  # type: ignore[attr-defined]
    assert len(journey.texts(maria)) == before


@pytest.mark.parametrize(
    ("correction", "refused"),
    [
        (Correction(surgery_date=SURGERY + timedelta(days=61)), DateUnlikely),
        (Correction(surgery_date=SURGERY - timedelta(days=91)), DateUnlikely),
        (Correction(discharge_date=SURGERY - timedelta(days=1)), EnrolmentRefused),
        (Correction(team="Cardiology"), EnrolmentRefused),
        (Correction(time_zone="Madrid"), EnrolmentRefused),
        (Correction(language="fr"), EnrolmentRefused),
    ],
)
async def test_what_cannot_be_taken_is_refused_and_changes_nothing(
    journey: Journey, correction: Correction, refused: type[Exception]
) -> None:
    maria, _ = await journey.enrolled_patient()
    before_rows, before_texts = await _check_ins(journey), len(journey.texts(maria))
    with pytest.raises(refused):
        await _correct(journey, correction)
    assert await _check_ins(journey) == before_rows
    assert len(journey.texts(maria)) == before_texts


async def test_an_unlikely_surgery_date_is_taken_when_confirmed(journey: Journey) -> None:
    await journey.enrolled_patient()
    far = SURGERY + timedelta(days=61)
    done = await _correct(journey, Correction(surgery_date=far), force=True)
    assert done.changed == ("surgery_date",)  # type: ignore[attr-defined]
