"""The care team's digest: every morning in the team's chat, and on demand with /digest."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.patients.enrolment.enrol import enrol
from bot.reports.daily_digest import DailyDigest, digest_day
from bot.reports.digest import team_digest
from bot.sandbox import Group, Person
from bot.staff.registry import add_staff
from bot.telegram.callbacks import SKIP, Consent, Pause
from bot.telegram.render.digest import digest_text
from db.models import (
    Alert,
    Answer,
    AuditEntry,
    CheckIn,
    Episode,
    OutboxMessage,
    Patient,
    ProtocolVersion,
    StaffRole,
    Team,
    TeamMember,
)
from flows import Tier
from flows.alert_age import AlertAge
from flows.compiled import compile_protocol
from flows.digest import Digest, OverdueAlert
from tests.fixtures.journey import SURGERY, Journey, buttons, local

MADRID, NEW_YORK = "Europe/Madrid", "America/New_York"
DAY = timedelta(days=1)
POD1 = SURGERY + DAY
# What a patient on track answers; a case overrides what it is about.
ON_TRACK = {
    "red_flags": "none",
    "bladder": "normal",
    "wound_bleeding": "dry",
    "pain_back": "2",
    "pain_leg": "1",
    "pain_control": "controlled",
    "walking": "indoors",
    "temperature": SKIP,
    "warning_signs": "none",
    "fluids_down": "yes",
    "sleepy": "awake",
    "opioid_use": "less",
    "wound_fluid": "none",
    "wound_redness": "none",
}
LABELS = {
    "🔴 RED — EMERGENCY": "red_emergency",
    "🟠 RED — URGENT": "red_urgent",
    "🟡 AMBER": "amber",
    "🟢 GREEN": "green",
    "⚪ No check-in yet": "none",
}
IN_FOLLOW_UP = ("active", "paused", "unreachable")


async def check_in(journey: Journey, person: Person, **answers: str) -> None:
    """Answer the open check-in, on track unless told otherwise."""
    chosen = {**ON_TRACK, **answers}
    while (question := journey.question_id(person)) is not None:
        await journey.answer(person, chosen[question])
    await journey.type(person, answers.get("bowels_days", "1"))  # typed
    while (question := journey.question_id(person)) is not None:  # opioid use comes after
        await journey.answer(person, chosen[question])


def daily_digests(journey: Journey, chat: Group | Person) -> list[str]:
    return [text for text in journey.texts(chat) if text.startswith("Daily digest")]


async def staff(journey: Journey, name: str, team: str = "Spine") -> Person:
    person = journey.sandbox.user(name)
    async with journey.runtime.sessions.begin() as session:
        await add_staff(
            session,
            name=name,
            role=StaffRole.NURSE,
            team_name=team,
            on_call=False,
            telegram_id=person.id,
            now=journey.clock.now(),
            actor="cli:test",
        )
    return person


async def team(journey: Journey, name: str, zone: str) -> Group:
    group = journey.sandbox.group(f"{name} ward")
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(name=name, chat_id=group.chat_id, timezone=zone, created_at=journey.clock.now())
        )
    return group


async def consented(
    journey: Journey, ref: str, team_name: str, surgery: date, name: str | None = None
) -> Person:
    """A patient of ``team_name``, linked and consented, whose follow-up starts later."""
    async with journey.runtime.sessions.begin() as session:
        enrolment = await enrol(
            session,
            journey.runtime.catalogue,
            protocol_id="spine-miss-lumbar",
            team_name=team_name,
            ref=ref,
            name=name,
            surgery_date=surgery,
            now=journey.clock.now(),
            actor="cli:test",
        )
    person = journey.sandbox.user(name or ref)
    journey.sandbox.open_deep_link(person, enrolment.token)
    await journey.settle()
    await journey.press(person, Consent(enrolment.episode_id, agreed=True))
    return person


def parse(digest: str) -> dict[str, Any]:
    """The digest's lines as {label: (count, references)}, and the alert ids it lists."""
    lines: dict[str, Any] = {"alerts": []}
    for line in digest.splitlines()[1:]:
        if match := re.fullmatch(r"• #(\d+) .*", line):
            lines["alerts"].append(int(match[1]))
        elif match := re.fullmatch(r"(.+): (\d+)(?: — (.*))?", line):
            refs = match[3].split(", ") if match[3] else []
            lines[LABELS.get(match[1], match[1])] = (int(match[2]), refs)
    return lines


# --- What the database says, asked independently of the digest's own code ---------------


async def expected(journey: Journey, now: datetime) -> dict[str, Any]:
    rank = {tier.value: tier.rank for tier in Tier}
    async with journey.runtime.sessions() as session:
        episodes = (
            await session.execute(
                select(Episode.id, Patient.ref, Episode.status, ProtocolVersion)
                .join(Patient, Patient.id == Episode.patient_id)
                .join(Team, Team.id == Episode.team_id)
                .join(ProtocolVersion, ProtocolVersion.id == Episode.protocol_version_id)
                .where(Team.name == "Spine", Episode.status.in_(IN_FOLLOW_UP))
            )
        ).all()
        ids = [row[0] for row in episodes]
        completed = (
            await session.execute(
                select(CheckIn.episode_id, CheckIn.tier, CheckIn.pod, CheckIn.id)
                .where(CheckIn.episode_id.in_(ids), CheckIn.status == "completed")
                .order_by(CheckIn.completed_at)
            )
        ).all()
        unresolved = (
            await session.execute(
                select(Alert.id, Alert.episode_id, Alert.tier, Alert.status, Alert.opened_at).where(
                    Alert.episode_id.in_(ids), Alert.status != "resolved"
                )
            )
        ).all()
        missed = (
            await session.scalars(
                select(Patient.ref)
                .join(Episode, Episode.patient_id == Patient.id)
                .join(CheckIn, CheckIn.episode_id == Episode.id)
                .where(
                    CheckIn.episode_id.in_(ids),
                    CheckIn.status == "missed",
                    CheckIn.kind.in_(("scheduled", "evening")),
                    CheckIn.missed_at > now - DAY,
                    CheckIn.missed_at <= now,
                )
            )
        ).all()
        answers = (
            await session.execute(
                select(Answer.checkin_id, Answer.item_id, Answer.value).where(
                    Answer.checkin_id.in_([row[3] for row in completed])
                )
            )
        ).all()
    tiers: dict[int, str] = {}
    for episode_id, tier, _, _ in completed:  # oldest first: the latest stays
        tiers[episode_id] = tier
    for _, episode_id, tier, _, _ in unresolved:
        if episode_id not in tiers or rank[tier] > rank[tiers[episode_id]]:
            tiers[episode_id] = tier
    by_tier: dict[str, list[str]] = {tier: [] for tier in [*rank, "none"]}
    for episode_id, ref, _, _ in episodes:
        by_tier[tiers.get(episode_id, "none")].append(ref)
    protocols = {row[0]: journey.runtime.catalogue.of(row[3]) for row in episodes}
    overdue = []
    for alert_id, episode_id, tier, status, opened_at in unresolved:
        target = protocols[episode_id].escalation.target(Tier(tier))
        assert target is not None
        if status == "open" and now - opened_at > timedelta(
            minutes=target.acknowledge_within_minutes
        ):
            overdue.append(alert_id)
    # A milestone is behind when the latest completed check-in that answered its item, on or
    # after its POD, does not satisfy it.
    value = {(checkin, item): v for checkin, item, v in answers}
    behind = {}
    for episode_id, ref, _, _ in episodes:
        late = []
        for milestone in compile_protocol(protocols[episode_id]).milestones:
            judged = [
                milestone.test({milestone.item: value[checkin, milestone.item]})
                for e, _, pod, checkin in completed
                if e == episode_id
                and pod >= milestone.from_pod
                and (checkin, milestone.item) in value
            ]
            if judged and judged[-1] is False:
                late.append(milestone.id)
        if late:
            behind[ref] = late
    status = {ref: str(s) for _, ref, s, _ in episodes}
    return {
        "patients": len(episodes),
        "by_tier": {tier: sorted(refs) for tier, refs in by_tier.items()},
        "missed": sorted(missed),
        "behind": behind,
        "overdue": sorted(overdue),
        "paused": sorted(ref for ref, s in status.items() if s == "paused"),
        "unreachable": sorted(ref for ref, s in status.items() if s == "unreachable"),
    }


async def test_the_digests_numbers_match_the_database(journey: Journey) -> None:
    ana = await staff(journey, "Ana")
    journey.ward.add_member(ana)
    refs = ("P-RED", "P-AMBER", "P-GREEN1", "P-GREEN2", "P-MISSED", "P-BEHIND")
    people = {ref: (await journey.enrolled_patient(ref, ref=ref))[0] for ref in refs}
    paused = (await journey.enrolled_patient("P-PAUSED", ref="P-PAUSED"))[0]
    gone = (await journey.enrolled_patient("P-GONE", ref="P-GONE"))[0]
    await journey.enrolled_patient("P-NEW", ref="P-NEW", surgery=SURGERY + 2 * DAY)
    await journey.enrol("P-INVITED")  # never opened the link: not in follow-up yet

    await journey.at(local(POD1, 9, MADRID))
    for person in [*people.values(), paused, gone]:
        await check_in(journey, person, walking="in_room")
    await journey.at(local(POD1, 20, MADRID))
    await journey.type(paused, "/stop")
    await journey.press(paused, Pause(confirmed=True))
    journey.sandbox.block_bot(gone)

    await journey.at(local(POD1 + DAY, 9, MADRID))
    await check_in(journey, people["P-RED"], wound_bleeding="soaked")
    await check_in(journey, people["P-AMBER"], pain_control="not_controlled")
    await check_in(journey, people["P-GREEN1"])
    await check_in(journey, people["P-GREEN2"])
    await check_in(journey, people["P-BEHIND"], walking="in_room")  # indoors is due on POD 2
    # P-MISSED lets the day's check-in go; a nurse acknowledges the amber alert in time.
    card = next(
        m
        for m in journey.sandbox.messages_to(journey.ward)
        if "P-AMBER" in m.get("text", "") and " · alert #" in m["text"]  # not the digest
    )
    journey.sandbox.press_button(ana, card, buttons(card)[0][1], chat=journey.ward)
    await journey.settle()

    morning = local(POD1 + 2 * DAY, 8, MADRID)
    await journey.at(morning - timedelta(minutes=1))
    before = len(daily_digests(journey, journey.ward))
    await journey.at(morning)
    posted = daily_digests(journey, journey.ward)[before:]
    assert len(posted) == 1
    assert posted[0].startswith("Daily digest · Spine · Thu 05 Mar 2026, 08:00 (Europe/Madrid)")

    want = await expected(journey, morning)
    # The cohort is what the test built (so that the comparison below is not vacuous)…
    assert want["by_tier"] == {
        "red_emergency": [],
        "red_urgent": ["P-RED"],
        "amber": ["P-AMBER", "P-GONE", "P-PAUSED"],
        "green": ["P-BEHIND", "P-GREEN1", "P-GREEN2", "P-MISSED"],
        "none": ["P-NEW"],
    }
    assert want["behind"] == {"P-BEHIND": ["walking_indoors"]}
    assert "P-MISSED" in want["missed"]
    assert len(want["overdue"]) == 3  # P-RED's, and the pause's and the blocked chat's
    # …and the digest says what the database says.
    got = parse(posted[0])
    assert got["Patients in follow-up"][0] == want["patients"] == 9
    for tier, refs in want["by_tier"].items():
        count, listed = got[tier]
        assert count == len(refs), tier
        assert sorted(listed) == (refs if tier != "green" else []), tier  # green: count only
    count, listed = got["Missed check-ins, last 24 h"]
    assert (count, sorted(listed)) == (len(want["missed"]), want["missed"])
    assert got["Behind a recovery milestone"] == (1, ["P-BEHIND (walking_indoors)"])
    assert got["Alerts past their acknowledgement target"][0] == len(want["overdue"])
    assert sorted(got["alerts"]) == want["overdue"]
    assert got["Paused"] == (1, want["paused"])
    assert got["Unreachable"] == (1, want["unreachable"])
    assert "P-INVITED" not in posted[0]


async def test_it_goes_once_a_day_from_eight_local_in_each_teams_own_chat(
    journey: Journey,
) -> None:
    boston = await team(journey, "Boston", NEW_YORK)
    later = date(2026, 3, 20)  # follow-ups that start after the test: no check-ins meanwhile
    await consented(journey, "P-MAD", "Spine", later, name="Lucía Pérez")
    await consented(journey, "P-BOS", "Boston", later, name="John Smith")
    seen = {"Spine": len(daily_digests(journey, journey.ward))}
    seen["Boston"] = len(daily_digests(journey, boston))  # 10:00 there: today's went out

    async def posted(team_name: str, chat: Group) -> list[str]:
        new = daily_digests(journey, chat)[seen[team_name] :]
        seen[team_name] += len(new)
        return new

    for day in (
        date(2026, 3, 6),
        date(2026, 3, 7),
        date(2026, 3, 8),
    ):  # US clocks go forward 8 March
        await journey.at(local(day, 7, MADRID, 59))
        assert await posted("Spine", journey.ward) == []
        for hour, minute in ((8, 0), (8, 30), (11, 0)):
            await journey.at(local(day, hour, MADRID, minute))
        spine = await posted("Spine", journey.ward)
        assert len(spine) == 1, day
        assert spine[0].startswith(f"Daily digest · Spine · {day:%a %d %b %Y}, 08:00")
        assert "P-MAD" in spine[0] and "P-BOS" not in spine[0]

        await journey.at(local(day, 7, NEW_YORK, 59))
        assert await posted("Boston", boston) == []
        for hour, minute in ((8, 0), (9, 15), (23, 0)):
            await journey.at(local(day, hour, NEW_YORK, minute))
        bos = await posted("Boston", boston)
        assert len(bos) == 1, day
        assert bos[0].startswith(f"Daily digest · Boston · {day:%a %d %b %Y}, 08:00")
        assert "(America/New_York)" in bos[0]
        assert "P-BOS" in bos[0] and "P-MAD" not in bos[0]
        assert "John" not in bos[0] and "Lucía" not in spine[0]  # references, never names
    assert await posted("Spine", journey.ward) == []


async def test_after_downtime_a_mornings_digest_goes_until_noon_and_never_late(
    journey: Journey,
) -> None:
    await journey.at(local(date(2026, 3, 6), 7, MADRID))
    before = len(daily_digests(journey, journey.ward))
    await journey.at(local(date(2026, 3, 6), 12, MADRID, 30))  # down all morning
    await journey.at(local(date(2026, 3, 7), 10, MADRID, 45))  # down overnight, up mid-morning
    digests = daily_digests(journey, journey.ward)[before:]
    assert len(digests) == 1
    assert digests[0].startswith("Daily digest · Spine · Sat 07 Mar 2026, 10:45")


async def test_two_processes_at_the_same_morning_queue_one_digest(journey: Journey) -> None:
    journey.clock.set(local(date(2026, 3, 6), 8, MADRID, 5))
    runtime = journey.runtime
    ticks = [DailyDigest(runtime.sessions, runtime.catalogue, journey.clock) for _ in range(3)]
    queued = await asyncio.gather(*(tick.tick() for tick in ticks))
    assert sum(queued) == 1
    async with runtime.sessions() as session:
        rows = await session.scalar(
            select(func.count()).where(OutboxMessage.dedupe_key.like("digest:%:2026-03-06"))
        )
    assert rows == 1


async def test_a_digest_another_process_queued_meanwhile_is_not_queued_again(
    journey: Journey, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.reports import daily_digest

    morning = local(date(2026, 3, 6), 8, MADRID, 5)
    journey.clock.set(morning)
    build = team_digest

    async def while_another_process_queues_it(*args: Any) -> Digest:
        async with journey.runtime.sessions.begin() as other:  # commits first
            other.add(
                OutboxMessage(
                    chat_id=journey.ward.chat_id,
                    method="sendMessage",
                    payload={"text": "Daily digest · Spine (the other process's)"},
                    purpose="digest",
                    status="pending",
                    not_before=morning,
                    created_at=morning,
                    dedupe_key=f"digest:{args[2].id}:2026-03-06",
                )
            )
        return await build(*args)

    monkeypatch.setattr(daily_digest, "team_digest", while_another_process_queues_it)
    assert await journey.runtime.daily_digest.tick() == 0
    monkeypatch.undo()
    await journey.settle()
    assert daily_digests(journey, journey.ward) == ["Daily digest · Spine (the other process's)"]


async def test_a_team_with_an_unknown_time_zone_holds_up_no_other_team(journey: Journey) -> None:
    await team(journey, "Atlantis", "Atlantic/Atlantis")
    await journey.at(local(date(2026, 3, 6), 8, MADRID))
    assert len(daily_digests(journey, journey.ward)) == 1


async def test_digest_gives_a_staff_member_each_of_their_teams(journey: Journey) -> None:
    await team(journey, "Boston", NEW_YORK)
    ana = await staff(journey, "Ana")
    await consented(journey, "P-BOS", "Boston", date(2026, 3, 20))
    async with journey.runtime.sessions.begin() as session:
        ids = {t.name: t.id for t in await session.scalars(select(Team))}
        staff_id = await session.scalar(select(TeamMember.staff_id))
        session.add(TeamMember(team_id=ids["Boston"], staff_id=staff_id, role=StaffRole.NURSE))
    await journey.type(ana, "/digest")
    boston_digest, spine_digest = journey.texts(ana)[-2:]
    assert boston_digest.startswith("Digest · Boston · Mon 02 Mar 2026, 10:00 (America/New_York)")
    assert "⚪ No check-in yet: 1 — P-BOS" in boston_digest
    assert spine_digest.startswith("Digest · Spine · Mon 02 Mar 2026, 16:00 (Europe/Madrid)")
    assert "Patients in follow-up: 0" in spine_digest
    async with journey.runtime.sessions() as session:
        viewed = await session.scalar(select(AuditEntry).where(AuditEntry.action == "digest.view"))
    assert viewed is not None and viewed.outcome == "done"
    assert sorted(viewed.detail["teams"]) == sorted(ids.values())


@pytest.mark.parametrize("who", ["patient", "unknown user"])
async def test_digest_is_refused_to_anyone_but_staff_and_audited(
    journey: Journey, who: str
) -> None:
    person = (
        (await journey.enrolled_patient())[0] if who == "patient" else journey.sandbox.user("Eve")
    )
    await journey.type(person, "/digest")
    assert journey.texts(person)[-1] == "This command is for care-team staff."
    async with journey.runtime.sessions() as session:
        refused = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "digest.view"))
        ).all()
    actor = "patient:P-001" if who == "patient" else "telegram:unknown"
    assert [(r.outcome, r.actor_ref) for r in refused] == [("refused", actor)]


def test_the_utc_day_is_not_the_teams_day() -> None:
    late_in_utc = datetime(2026, 3, 6, 23, 30, tzinfo=UTC)  # already the 7th in Kolkata
    assert digest_day(late_in_utc, "Asia/Kolkata") is None  # 05:00 there
    assert digest_day(late_in_utc + timedelta(hours=3), "Asia/Kolkata") == date(2026, 3, 7)
    assert digest_day(late_in_utc + timedelta(hours=3), "UTC") is None  # 02:30


def test_a_big_cohort_shortens_the_lists_to_fit_one_message() -> None:
    refs = tuple(f"PATIENT-{n:04d}-" + "x" * 50 for n in range(600))
    age = AlertAge(minutes=600, target_minutes=15)
    digest = Digest(
        team="Spine",
        local_time=datetime(2026, 3, 5, 8, tzinfo=ZoneInfo(MADRID)),
        patients=len(refs) * 2,
        by_tier={
            Tier.RED_EMERGENCY: refs,
            Tier.RED_URGENT: refs,
            Tier.AMBER: refs,
            Tier.GREEN: refs,
        },
        no_tier_yet=refs,
        missed=refs,
        behind=tuple((ref, ("walking_indoors", "back_pain_5")) for ref in refs),
        overdue_alerts=tuple(
            OverdueAlert(n, Tier.RED_URGENT, ref, age) for n, ref in enumerate(refs)
        ),
        paused=refs,
        unreachable=refs,
        on_hold=refs,
    )
    text = digest_text(digest)
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert "🔴 RED — EMERGENCY: 600 — PATIENT-0000-" in text
    assert "Alerts past their acknowledgement target: 600" in text
    assert "… and" in text
