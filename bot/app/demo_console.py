"""``eras demo --console``: the demo's story, then its ward on the care-team console.

After Maria's first days are played, two more patients of the ward answer their evening
check and report a concern through the sandbox, and a third is enrolled but has not opened
her link, so that the worklist, the roster, a patient's page, the protocols and the audit log
all have something to show. An admin's sign-in link is printed; the console is served until
the demo is stopped. The demo's clock stands still at the story's last moment, so the link
and the session do not lapse.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.app.demo import SURGERY, ZONE, Demo, run_demo
from bot.clock import FakeClock
from bot.patients.enrolment.enrol import enrol
from bot.staff.sign_in.links import issue_link
from bot.telegram.callbacks import Consent, Setting, SettingsChoice
from bot.web.app import console_app
from bot.web.console import Console
from bot.web.http.server import ConsoleServer
from db.models import Staff, StaffRole, Team, TeamMember

ADMIN = "Ines"
# Who else answers the evening check, and then reports a concern: (ref, name, the check's
# answers, the concern's answers, their words), one every ten minutes.
CALM = {"red_flags": ["none"], "bladder": ["normal"], "wound_bleeding": ["dry"]}
CONCERNS = (
    (
        "DEMO-002",
        "Jon",
        CALM,
        {**CALM, "wound_bleeding": ["soaked"], "temperature": ["37.2"]},
        "The dressing is soaked again since I got up.",
    ),
    (
        "DEMO-003",
        "Lucia",
        CALM,
        {**CALM, "wound_redness": ["spreading"], "temperature": ["37.9"]},
        "The skin around the wound is red and warm.",
    ),
)
NOT_LINKED = ("DEMO-004", "Pilar")
# Once the page is served: given the console's address and an admin's sign-in link.
Serving = Callable[[str, str], Awaitable[None]]


async def run_console_demo(
    echo: Callable[[str], None], listen: str, serving: Serving | None = None
) -> None:
    """The story, then the console on ``listen`` until cancelled (or ``serving`` returns)."""

    async def afterwards(demo: Demo) -> None:
        await more_patients(demo)
        await _serve(demo, echo, listen, serving or _until_stopped(demo))

    await run_demo(echo, afterwards)


async def more_patients(demo: Demo) -> None:
    runtime = demo.runtime
    quiet = Demo(demo.sandbox, runtime, lambda _line: None, {})
    clock = runtime.clock
    assert isinstance(clock, FakeClock)  # the demo's own
    for ref, name, check, concern, words in CONCERNS:
        clock.set(clock.now() + timedelta(minutes=10))
        patient = demo.sandbox.user(name, language_code="en")
        token, episode_id = await _enrolled(demo, ref, name)
        demo.sandbox.open_deep_link(patient, token)
        await quiet.settle()
        await quiet.press(patient, Consent(episode_id, agreed=True))
        if quiet.offered(patient, SettingsChoice(Setting.OK)):
            await quiet.press(patient, SettingsChoice(Setting.OK))
        # The evening's check, sent as the link is opened, then a concern in their words.
        await quiet.answer_checkin(patient, episode_id, check)
        await quiet.type(patient, "I have a concern")
        await quiet.answer_checkin(patient, episode_id, concern)
        await quiet.type(patient, words)
    await _enrolled(demo, *NOT_LINKED)


async def _enrolled(demo: Demo, ref: str, name: str) -> tuple[str, int]:
    runtime = demo.runtime
    async with runtime.sessions.begin() as session:
        enrolled = await enrol(
            session,
            runtime.catalogue,
            protocol_id="spine-miss-lumbar",
            team_name="Spine ward",
            ref=ref,
            name=name,
            surgery_date=SURGERY + timedelta(days=1),
            discharge_date=SURGERY + timedelta(days=2),
            time_zone=ZONE,
            language="en",
            procedure="MIS lumbar decompression",
            now=runtime.clock.now(),
            actor="cli:demo",
        )
    return enrolled.token, enrolled.episode_id


async def _serve(demo: Demo, echo: Callable[[str], None], listen: str, serving: Serving) -> None:
    runtime = demo.runtime
    console = Console(
        runtime.services,
        "",
        runtime.health,
        audit_key=runtime.audit_key,
        files=runtime.files,
    )
    server = ConsoleServer(console_app(console), listen)
    await server.start()
    host = listen.rpartition(":")[0] or "127.0.0.1"
    console.console_url = url = f"http://{host}:{server.port}"
    runtime.services.site = replace(runtime.services.site, console_url=url)
    try:
        async with runtime.sessions.begin() as session:
            team = await session.scalar(select(Team).where(Team.name == "Spine ward"))
            assert team is not None
            admin = Staff(name=ADMIN, created_at=runtime.clock.now())
            session.add(admin)
            await session.flush()
            session.add(TeamMember(team_id=team.id, staff_id=admin.id, role=StaffRole.ADMIN))
            link = f"{url}/sign-in/{await issue_link(session, admin, runtime.clock.now())}"
        echo(f"\nThe care-team console is at {url}")
        echo(f"Sign in as {ADMIN} (an admin of the Spine ward) with this one-time link:")
        echo(f"  {link}")
        echo("Stop the demo with Ctrl+C.")
        await serving(url, link)
    finally:
        await server.stop()


def _until_stopped(demo: Demo) -> Serving:
    async def serve(_url: str, _link: str) -> None:
        while True:  # what the console writes (a card redrawn) reaches the sandbox's chat
            await demo.settle()
            await asyncio.sleep(1)

    return serve
