"""The database's side of the setup: teams without a group, escalation steps that reach
nobody, and no emergency number. Queries only: cheap enough for every ``/health`` probe."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.alerts.chains import stored_chain
from bot.reports.doctor.findings import Misconfiguration
from db.models import Staff, StaffRole, Team, TeamMember
from flows.escalation import DEFAULT_CHAINS, ON_CALL, SURGEON

CHECKED = (
    "every team has a group chat",
    "every escalation step reaches someone",
    "every team's patients have an emergency number",
)

_WHO = {ON_CALL: "the on-call staff", SURGEON: "the surgeon"}


async def setup_findings(
    session: AsyncSession, emergency_number: str | None
) -> list[Misconfiguration]:
    """What is wrong with the teams, their chains and the deployment's emergency number."""
    found = []
    if emergency_number is None:
        # The default, for every team without a number of its own; `eras run` needs it.
        found.append(
            Misconfiguration(
                "no_emergency_number",
                "No emergency number is set: patients with a red flag would not be told whom "
                "to call, and `eras run` refuses to start; set ERAS_EMERGENCY_NUMBER "
                "(e.g. 112 or 911).",
            )
        )
    for team in await session.scalars(select(Team).order_by(Team.name)):
        if emergency_number is None and team.emergency_number is None:
            found.append(
                Misconfiguration(
                    "no_emergency_number",
                    f"Team {team.name!r} has no emergency number and there is no default: its "
                    "patients would not be told whom to call. Set one with `eras team "
                    f"set-contact {team.name!r} --emergency-number NUMBER`, or set "
                    "ERAS_EMERGENCY_NUMBER.",
                    team.name,
                )
            )
        found.extend(await team_findings(session, team))
    return found


async def team_findings(session: AsyncSession, team: Team) -> list[Misconfiguration]:
    """What is wrong with one team: its group, its chains."""
    found = []
    if team.chat_id is None:
        found.append(
            Misconfiguration(
                "no_group",
                f"Team {team.name!r} has no group chat: its alert cards reach nobody. "
                "Add the bot to the team's Telegram group and give the group's id as "
                "`chat_id` in the teams file, then run `eras team apply FILE`.",
                team.name,
            )
        )
    found.extend(await _unreached_steps(session, team))
    return found


async def _unreached_steps(session: AsyncSession, team: Team) -> list[Misconfiguration]:
    """One finding per kind of step (on call, surgeon) that some chain of the team has and
    that would tell nobody: no active member of that kind has linked Telegram."""
    chains = {
        tier: await stored_chain(session, team.id, tier) or DEFAULT_CHAINS[tier]
        for tier in DEFAULT_CHAINS
    }
    found = []
    for who, how in ((ON_CALL, _fix_on_call), (SURGEON, _fix_surgeon)):
        tiers = [tier.value for tier, chain in chains.items() if who in {s.notify for s in chain}]
        if not tiers or await _reachable(session, team.id, who):
            continue
        found.append(
            Misconfiguration(
                "chain_reaches_nobody",
                f"Team {team.name!r}: the {', '.join(tiers)} escalation chain(s) tell "
                f"{_WHO[who]}, and nobody is there: {how(team.name)}.",
                team.name,
            )
        )
    return found


async def _reachable(session: AsyncSession, team_id: int, who: str) -> bool:
    query = (
        select(Staff.id)
        .join(TeamMember, TeamMember.staff_id == Staff.id)
        .where(
            TeamMember.team_id == team_id,
            Staff.active.is_(True),
            Staff.telegram_user_id.is_not(None),
        )
    )
    if who == ON_CALL:
        query = query.where(TeamMember.on_call.is_(True))
    else:
        query = query.where(TeamMember.role == StaffRole.SURGEON)
    return await session.scalar(query.limit(1)) is not None


def _fix_on_call(team: str) -> str:
    return (
        f"put a linked staff member on call with `eras staff on-call NAME --team {team!r}` "
        "(see `eras staff list`: 'not linked' staff must open their link first)"
    )


def _fix_surgeon(team: str) -> str:
    return (
        f"add one with `eras staff add --name NAME --role surgeon --team {team!r}` and have "
        "them open their one-time link (a surgeon of another team: `eras staff join NAME "
        f"--team {team!r} --role surgeon`), or change the chain with `eras team chain`"
    )
