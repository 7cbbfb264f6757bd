"""The console under test: the real application on a journey's bot (sandbox, database on
both backends, fake clock), reached over ASGI with httpx; no socket, no sleep."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.patients.records.files import message_file_ref
from bot.sandbox import Person
from bot.staff.sign_in.links import issue_link
from bot.web.app import console_app
from bot.web.console import Console
from db.models import Alert, PatientMessage, Staff, StaffRole, Team
from tests.fixtures.journey import SURGERY, Journey, local

POD1_9AM = local(SURGERY + timedelta(days=1), 9, "Europe/Madrid")
CONSOLE_URL = "http://console.test"
# The first bytes of a PNG file, then anything: what a photo's bytes are read as.
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))


@dataclass
class Ward:
    """A ward with a console: its journey, and a browser-like client per person."""

    journey: Journey
    console: Console
    staff: dict[str, Person]  # by name, as Telegram knows them
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        """A new browser (its own cookies), closed with the ward."""
        app = console_app(self.console)
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=CONSOLE_URL)
        self.clients.append(client)
        return client

    async def link(self, name: str) -> str:
        """A fresh sign-in link's token for the staff member called ``name``."""
        async with self.journey.runtime.sessions.begin() as session:
            member = await session.scalar(select(Staff).where(Staff.name == name))
            assert member is not None
            return await issue_link(session, member, self.journey.clock.now())

    async def signed_in(self, name: str) -> httpx.AsyncClient:
        client = self.client()
        answer = await client.post(f"/sign-in/{await self.link(name)}")
        assert answer.status_code == 303, answer.text
        return client

    async def red_flag(self, *names: str, every: timedelta = timedelta(0)) -> list[Person]:
        """Patients of the Spine team (P-001, P-002… in the order named; Maria alone by
        default) whose soaked dressing raised a red (urgent) alert on POD 1, from 9:00 on,
        one answering ``every`` after the one before."""
        journey = self.journey
        patients = [
            (await journey.enrolled_patient(name, ref=f"P-{n:03d}", display_name=name))[0]
            for n, name in enumerate(names or ("Maria",), start=1)
        ]
        for n, patient in enumerate(patients):
            await journey.at(POD1_9AM + n * every)
            await journey.answer(patient, "none")
            await journey.answer(patient, "normal")
            await journey.answer(patient, "soaked")
        return patients

    async def photo_sent(
        self, name: str = "Bob", ref: str = "P-090", data: bytes = PNG
    ) -> tuple[Person, int, str]:
        """A patient of Spine, just enrolled, who sent the team a photo: the patient, their
        episode's id and the photo's reference on the console."""
        journey = self.journey
        person, enrolment = await journey.enrolled_patient(name, ref=ref, display_name=name)
        journey.sandbox.send_photo(person, data)
        await journey.settle()
        async with journey.runtime.sessions() as session:
            message_id = await session.scalar(
                select(PatientMessage.id).where(PatientMessage.episode_id == enrolment.episode_id)
            )
        assert message_id is not None
        return person, enrolment.episode_id, message_file_ref(message_id)

    async def alert(self) -> Alert:
        async with self.journey.runtime.sessions() as session:
            alert = await session.scalar(select(Alert).order_by(Alert.id.desc()))
        assert alert is not None
        return alert


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


@pytest.fixture
async def ward(journey: Journey) -> AsyncIterator[Ward]:
    """Spine (the journey's team) with a nurse (Ana) and an admin (Ines); another team,
    Cervical, with its own nurse (Olga)."""
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(
                name="Cervical",
                chat_id=None,
                timezone="Europe/Madrid",
                created_at=journey.clock.now(),
            )
        )
    staff = {
        "Ana": await journey.staff_member("Ana"),
        "Ines": await journey.staff_member("Ines", StaffRole.ADMIN),
        "Olga": await journey.staff_member("Olga", team="Cervical"),
    }
    services = journey.runtime.services
    console = Console(
        services,
        CONSOLE_URL,
        journey.runtime.health,
        audit_key=journey.runtime.audit_key,
        files=journey.runtime.files,
    )
    ward = Ward(journey, console, staff)
    try:
        yield ward
    finally:
        for client in ward.clients:
            await client.aclose()
