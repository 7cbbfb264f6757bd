"""A staff member's role is the role of the team in question: a nurse of one ward who is an
admin of another answers that ward's patients but not the other's. Removing someone, or
taking them out of a team, stops their buttons at once; a removed member can be linked
again. Each team tells its patients its own emergency number."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.correspondence.authority import REFUSED
from bot.i18n import t
from bot.sandbox import Group, Person
from bot.staff.memberships import join_team, leave_team, relink_staff
from bot.staff.registry import remove_staff
from bot.staff.teams import set_contact
from db.models import AuditEntry, Team
from tests.fixtures.journey import Journey, buttons

ASKED = "Write it as a reply to the bot's prompt in the group."
QUESTION = "Can I take a shower with the dressing on?"


async def _cervical(journey: Journey, *members: Person) -> Group:
    group = journey.sandbox.group("Cervical ward", members=members)
    async with journey.runtime.sessions.begin() as session:
        session.add(
            Team(
                name="Cervical",
                chat_id=group.chat_id,
                timezone="Europe/Madrid",
                created_at=journey.clock.now(),
            )
        )
    return group


def _message_card(journey: Journey, group: Group) -> dict[str, Any]:
    return next(
        m
        for m in reversed(journey.sandbox.messages_to(group))
        if "Reply to patient" in [label for label, _ in buttons(m)]
    )


async def _press_reply(journey: Journey, person: Person, group: Group) -> str:
    card = _message_card(journey, group)
    update = journey.sandbox.press_button(person, card, text="Reply to patient", chat=group)
    await journey.settle()
    answer = journey.sandbox.callback_answer(update)
    assert answer is not None
    return str(answer.get("text"))


async def _join(journey: Journey, who: str, team: str, role: str) -> None:
    from db.models import StaffRole

    async with journey.runtime.sessions.begin() as session:
        await join_team(
            session,
            who,
            team,
            StaffRole(role),
            on_call=False,
            now=journey.clock.now(),
            actor="cli:test",
        )


async def test_a_nurse_of_one_team_and_admin_of_another_answers_only_as_a_nurse(
    journey: Journey,
) -> None:
    nora = await journey.staff_member("Nora")  # a nurse of Spine
    cervical = await _cervical(journey, nora)
    await _join(journey, "Nora", "Cervical", "admin")
    maria, _ = await journey.enrolled_patient("Maria", ref="P-001")
    pedro, _ = await journey.enrolled_patient("Pedro", ref="P-002", team="Cervical")
    await journey.type(maria, QUESTION)
    await journey.type(pedro, "My neck hurts.")

    assert await _press_reply(journey, nora, journey.ward) == ASKED  # a nurse in Spine
    assert await _press_reply(journey, nora, cervical) == REFUSED  # an admin in Cervical
    async with journey.runtime.sessions() as session:
        asked = list(
            await session.scalars(
                select(AuditEntry.outcome)
                .where(AuditEntry.action == "prompt.ask")
                .order_by(AuditEntry.id)
            )
        )
    assert asked == ["refused"]  # the refusal is audited, naming no patient


async def test_leaving_a_team_or_being_removed_stops_the_buttons_at_once(
    journey: Journey,
) -> None:
    nora = await journey.staff_member("Nora")
    cervical = await _cervical(journey, nora)
    await _join(journey, "Nora", "Cervical", "nurse")
    pedro, _ = await journey.enrolled_patient("Pedro", ref="P-002", team="Cervical")
    await journey.type(pedro, "My neck hurts.")
    assert await _press_reply(journey, nora, cervical) == ASKED
    async with journey.runtime.sessions.begin() as session:
        await leave_team(session, "Nora", "Cervical", now=journey.clock.now(), actor="cli:test")
    assert await _press_reply(journey, nora, cervical) == REFUSED
    maria, _ = await journey.enrolled_patient("Maria", ref="P-001")
    await journey.type(maria, QUESTION)
    assert await _press_reply(journey, nora, journey.ward) == ASKED  # Spine is still hers
    async with journey.runtime.sessions.begin() as session:
        await remove_staff(session, "Nora", now=journey.clock.now(), actor="cli:test")
    assert await _press_reply(journey, nora, journey.ward) == REFUSED


async def test_a_removed_member_who_comes_back_links_the_same_account_again(
    journey: Journey,
) -> None:
    ana = await journey.staff_member("Ana")
    maria, _ = await journey.enrolled_patient()
    await journey.type(maria, QUESTION)
    async with journey.runtime.sessions.begin() as session:
        await remove_staff(session, "Ana", now=journey.clock.now(), actor="cli:test")
    assert await _press_reply(journey, ana, journey.ward) == REFUSED
    async with journey.runtime.sessions.begin() as session:
        back = await relink_staff(
            session, "Ana", telegram_id=None, now=journey.clock.now(), actor="cli:test"
        )
    assert back.reinstated and back.token is not None
    assert [(team, role.value) for team, role in back.teams] == [("Spine", "nurse")]
    assert await _press_reply(journey, ana, journey.ward) == REFUSED  # not linked yet
    journey.sandbox.open_deep_link(ana, back.token)
    await journey.settle()
    assert journey.texts(ana)[-1] == t("en", "staff_linked", name="Ana")
    assert await _press_reply(journey, ana, journey.ward) == ASKED
    # The link worked once: opened again, it links nobody.
    journey.sandbox.open_deep_link(ana, back.token)
    await journey.settle()
    assert journey.texts(ana)[-1] != t("en", "staff_linked", name="Ana")


async def test_each_team_tells_its_patients_its_own_emergency_number(journey: Journey) -> None:
    await _cervical(journey)
    async with journey.runtime.sessions.begin() as session:
        await set_contact(
            session,
            "Cervical",
            emergency_number="061",
            phone="+34 913 000 000",
            now=journey.clock.now(),
            actor="cli:test",
        )
    maria, _ = await journey.enrolled_patient("Maria", ref="P-001")
    pedro, _ = await journey.enrolled_patient("Pedro", ref="P-002", team="Cervical")
    await journey.type(maria, QUESTION)
    await journey.type(pedro, "My neck hurts.")
    assert journey.texts(maria)[-1] == t("en", "message_kept", number="112")  # the default
    assert journey.texts(pedro)[-1] == t("en", "message_kept", number="061")
    journey.sandbox.send_text(pedro, "/help")
    await journey.settle()
    assert any("061" in text and "112" not in text for text in journey.texts(pedro)[-2:])


async def test_an_account_a_removed_member_held_links_a_new_record(journey: Journey) -> None:
    # What kept a removed member from being linked again: their old record kept the account.
    from bot.staff.registry import add_staff
    from db.models import StaffRole

    ana = await journey.staff_member("Ana")
    async with journey.runtime.sessions.begin() as session:
        await remove_staff(session, "Ana", now=journey.clock.now(), actor="cli:test")
        added = await add_staff(
            session,
            name="Ana",
            role=StaffRole.SURGEON,
            team_name="Spine",
            on_call=False,
            telegram_id=None,
            now=journey.clock.now(),
            actor="cli:test",
        )
    assert added.token is not None
    journey.sandbox.open_deep_link(ana, added.token)
    await journey.settle()
    assert journey.texts(ana)[-1] == t("en", "staff_linked", name="Ana")
    async with journey.runtime.sessions() as session:
        unlinked = list(
            await session.scalars(
                select(AuditEntry.detail).where(AuditEntry.action == "staff.unlink")
            )
        )
    assert [entry["reason"] for entry in unlinked] == ["account_linked_again"]
