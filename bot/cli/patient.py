"""``eras enroll`` and ``eras patient``: enrolment and what admins see of it."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import (
    CommandFailed,
    admin_ref,
    config_error,
    echo_json,
    settings,
    valid_timezone,
    with_database,
)
from bot.clock import SystemClock
from bot.patients import listing
from bot.patients.enrolment import EnrolmentRefused, enrol
from bot.patients.hold import HoldChanged, put_on_hold, resume
from bot.patients.link import Reissued, reissue_link
from bot.patients.pathway_move import PathwayMove, move_pathway, plan_pathway_move
from bot.patients.protocol_change import ProtocolChanged, set_protocol
from bot.patients.withdrawal import Withdrawn, withdraw
from bot.privacy.erasure import ErasureRefused, erase_patient
from bot.privacy.retention import purge
from bot.protocols.catalogue import ProtocolCatalogue
from bot.protocols.sources import UnknownProtocol
from bot.settings import ConfigError, Settings

T = TypeVar("T")


def _catalogue() -> ProtocolCatalogue:
    from bot.cli.protocol import all_protocols

    return ProtocolCatalogue(all_protocols())


def bot_username(config: Settings) -> str:
    """From the setting, or asked of Telegram with the bot's token."""
    if config.bot_username:
        return config.bot_username
    if config.telegram_token is None:
        raise CommandFailed("set ERAS_BOT_USERNAME (or ERAS_TELEGRAM_TOKEN) to make the link")
    from telegram import Bot

    async def ask() -> str:
        async with Bot(config.require_token(), base_url=config.bot_api_base_url) as bot:
            return str(bot.username)

    try:
        return asyncio.run(ask())
    except Exception as error:
        raise CommandFailed(
            f"could not ask Telegram for the bot's username ({type(error).__name__}); "
            "set ERAS_BOT_USERNAME"
        ) from None


def _check_qr_path(path: Path, *, force: bool) -> None:
    """Refuse before anything is enrolled or reissued when the file obviously can't be
    written; ``_write_qr`` still guards against what changes meanwhile."""
    if path.is_symlink():
        raise CommandFailed(f"{path} is a symbolic link: give the QR code's own file")
    if path.exists() and not force:
        raise CommandFailed(f"{path} exists: give another file, or --force to overwrite it")
    if path.is_dir():
        raise CommandFailed(f"{path} is a directory: give a file name, e.g. {path}/qr.png")
    folder = path.parent
    if not folder.is_dir():
        raise CommandFailed(f"cannot write the QR code: there is no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandFailed(f"cannot write the QR code: folder {folder} is not writable")


def _write_qr(link: str, path: Path, *, force: bool) -> None:
    import segno

    image = io.BytesIO()
    # High error correction: a discharge sheet gets folded, creased and photocopied.
    segno.make(link, error="h").save(image, kind="png", scale=8, border=4)
    # O_NOFOLLOW: a link planted at that name can't make us write elsewhere.
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(image.getvalue())
    except OSError as error:
        raise CommandFailed(
            f"could not write the QR code to {path} ({error.strerror or error}); "
            "the link above works: give it to the patient, or print a QR code of it"
        ) from None


QR_OPTION = click.option(
    "--qr",
    "qr_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the link as a QR code (PNG) to this file",
)
FORCE_OPTION = click.option("--force", is_flag=True, help="With --qr: overwrite the file")


@click.command()
@click.option("--protocol", "protocol_spec", required=True, help="ID or ID@VERSION")
@click.option("--surgery-date", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--team", "team_name", required=True, help="The care team (see `eras team list`)")
@click.option("--ref", required=True, help="The hospital's pseudonymous reference")
@click.option("--name", help="The patient's name, shown to the care team only")
@click.option("--tz", "time_zone", callback=lambda c, p, v: v and valid_timezone(v))
@click.option("--lang", "language", help="Language code, e.g. en or es")
@click.option("--discharge-date", type=click.DateTime(["%Y-%m-%d"]))
@click.option(
    "--procedure",
    help="The operation, e.g. MIS-TLIF (the pathway's are listed by `eras protocol show ID`)",
)
@QR_OPTION
@FORCE_OPTION
@click.option("--json", "as_json", is_flag=True)
def enroll(
    protocol_spec: str,
    surgery_date: datetime,
    team_name: str,
    ref: str,
    name: str | None,
    time_zone: str | None,
    language: str | None,
    discharge_date: datetime | None,
    procedure: str | None,
    qr_path: Path | None,
    force: bool,
    as_json: bool,
) -> None:
    """Enrol a patient: the episode, its check-ins, and a one-time link to give them."""
    config = settings()
    catalogue = _catalogue()
    username = bot_username(config)
    if qr_path is not None:
        _check_qr_path(qr_path, force=force)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as session:
            return await enrol(
                session,
                catalogue,
                protocol_id=protocol_spec,
                team_name=team_name,
                ref=ref,
                surgery_date=surgery_date.date(),
                discharge_date=discharge_date.date() if discharge_date else None,
                procedure=procedure,
                name=name,
                time_zone=time_zone,
                language=language,
                now=SystemClock().now(),
                actor=admin_ref(),
            )

    try:
        done = with_database(work)
    except (EnrolmentRefused, UnknownProtocol) as error:
        raise CommandFailed(str(error)) from None
    link = f"https://t.me/{username}?start={done.token}"
    if as_json:
        echo_json(
            {
                "ref": done.ref,
                "episode_id": done.episode_id,
                "protocol": done.protocol_id,
                "version": done.protocol_version,
                "team": done.team,
                "check_ins": done.check_ins,
                "link": link,
                "token": done.token,
                "expires_at": done.token_expires_at.isoformat(),
                "qr": str(qr_path) if qr_path else None,
            }
        )
    else:
        click.echo(f"enrolled {done.ref} on {done.protocol_id}@{done.protocol_version}")
        click.echo(f"{done.check_ins} check-ins planned; team {done.team}")
        _echo_link(link, done.token_expires_at)
    _finish_qr(link, qr_path, force=force, quiet=as_json)


def _echo_link(link: str, expires_at: datetime) -> None:
    click.echo(f"one-time link (valid until {expires_at:%Y-%m-%d %H:%M} UTC):")
    click.echo(f"  {link}")


def _finish_qr(link: str, qr_path: Path | None, *, force: bool, quiet: bool) -> None:
    """After the link is printed: a file that can't be written costs the patient nothing."""
    if qr_path is None:
        return
    _write_qr(link, qr_path, force=force)
    if not quiet:
        click.echo(f"QR code written to {qr_path}")


@click.group()
def patient() -> None:
    """Enrolled patients: list, show, reissue a link, change protocol, erase."""


@patient.command("link")
@click.argument("ref")
@QR_OPTION
@FORCE_OPTION
@click.option("--json", "as_json", is_flag=True)
def link_command(ref: str, qr_path: Path | None, force: bool, as_json: bool) -> None:
    """A new one-time link for patient REF (lost, expired, or a new phone); the earlier
    link stops working. Audited."""
    username = bot_username(settings())
    if qr_path is not None:
        _check_qr_path(qr_path, force=force)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Reissued:
        async with sessions.begin() as session:
            return await reissue_link(session, ref=ref, now=SystemClock().now(), actor=admin_ref())

    try:
        done = with_database(work)
    except EnrolmentRefused as error:
        raise CommandFailed(str(error)) from None
    link = f"https://t.me/{username}?start={done.token}"
    if as_json:
        echo_json(
            {
                "ref": done.ref,
                "link": link,
                "token": done.token,
                "expires_at": done.expires_at.isoformat(),
                "revoked": done.revoked,
                "qr": str(qr_path) if qr_path else None,
            }
        )
    else:
        click.echo(f"new link for {done.ref}; earlier links no longer work")
        _echo_link(link, done.expires_at)
    _finish_qr(link, qr_path, force=force, quiet=as_json)


@patient.command("pause")
@click.argument("ref")
def pause_command(ref: str) -> None:
    """Put patient REF's follow-up on hold (e.g. readmitted): nothing is sent, no missed
    check-in raises an alert, the patient is told once; only `eras patient resume` restarts
    it. Shown as on_hold in `patient list`/`show` and in the team's digest. Audited."""
    emergency = _emergency_number()
    now = SystemClock().now()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> HoldChanged:
        async with sessions.begin() as session:
            return await put_on_hold(
                session, ref=ref, now=now, actor=admin_ref(), emergency_number=emergency
            )

    done = _refused_as_failure(work)
    told = "the patient is told" if done.told else "not linked yet: nobody to tell"
    click.echo(f"{done.ref}: on hold; nothing will be sent until `eras patient resume` ({told})")


@patient.command("resume")
@click.argument("ref")
def resume_command(ref: str) -> None:
    """Restart patient REF's follow-up after `eras patient pause`; a check-in whose window
    closed meanwhile is not sent, one still open is sent now. Audited."""
    now = SystemClock().now()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> HoldChanged:
        async with sessions.begin() as session:
            return await resume(session, ref=ref, now=now, actor=admin_ref())

    done = _refused_as_failure(work)
    click.echo(f"{done.ref}: follow-up resumed ({done.status.value})")


@patient.command("withdraw")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
def withdraw_command(ref: str, yes: bool) -> None:
    """End patient REF's follow-up: no more check-ins, the link stops working, the patient
    is told in their language. The record is kept (see `patient erase`). Audited."""
    emergency = _emergency_number()
    if not yes:
        click.confirm(f"End the follow-up of {ref}? It cannot be resumed", abort=True)
    now = SystemClock().now()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Withdrawn:
        async with sessions.begin() as session:
            return await withdraw(
                session, ref=ref, now=now, actor=admin_ref(), emergency_number=emergency
            )

    done = _refused_as_failure(work)
    told = "the patient is told" if done.told else "not linked: nobody to tell"
    click.echo(f"{done.ref}: follow-up ended; {done.cancelled} check-ins cancelled ({told})")


def _emergency_number() -> str:
    """Patients told of a change are reminded of it: never a guessed one."""
    try:
        return settings().require_emergency_number()
    except ConfigError as error:
        config_error(str(error))


def _refused_as_failure(work: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    try:
        return with_database(work)
    except EnrolmentRefused as error:
        raise CommandFailed(str(error)) from None


@patient.command("list")
@click.option("--pathway", help="Only the episodes on this pathway (ID)")
@click.option("--json", "as_json", is_flag=True)
def list_patients(pathway: str | None, as_json: bool) -> None:
    """Every episode, one line each, with its procedure (to check who belongs on which
    pathway)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions() as session:
            return await listing.episodes(session, pathway=pathway)

    rows = with_database(work)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(f"nobody on {pathway}" if pathway else "no patients enrolled yet")
    for r in rows:
        c = r["check_ins"]
        click.echo(
            f"{r['ref']:<12} {r['status']:<11} {r['protocol']:<22} "
            f"{r['procedure'] or 'procedure not recorded':<28} surgery {r['surgery_date']}  "
            f"check-ins {c['completed']} done, {c['missed']} missed, {c['scheduled']} ahead"
        )


@patient.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True)
def show_patient(ref: str, as_json: bool) -> None:
    """One patient's episodes and where they stand (the view is audited)."""

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
        async with sessions.begin() as session:
            return await listing.patient(session, ref, now=SystemClock().now(), actor=admin_ref())

    rows = with_database(work)
    if not rows:
        raise CommandFailed(f"no patient with reference {ref!r}")
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        c = r["check_ins"]
        click.echo(f"{r['ref']}{' (' + r['name'] + ')' if r['name'] else ''}: {r['status']}")
        click.echo(f"  protocol   {r['protocol']}, team {r['team']}")
        click.echo(f"  procedure  {r['procedure'] or 'not recorded'}")
        click.echo(f"  surgery    {r['surgery_date']}, discharge {r['discharge_date'] or '-'}")
        click.echo(f"  language   {r['language']}, time zone {r['timezone']}")
        click.echo(f"  telegram   {'linked' if r['telegram_linked'] else 'not linked yet'}")
        if r["erased_at"]:
            click.echo(f"  erased     {r['erased_at']}")
        click.echo(
            f"  check-ins  {c['completed']} completed, {c['missed']} missed, "
            f"{c['scheduled']} scheduled"
        )


@patient.command("set-protocol")
@click.argument("ref", required=False)
@click.argument("spec", metavar="[ID[@VERSION]]", required=False)
@click.option("--pathway", help="Move every patient followed on this pathway (ID)")
@click.option("--to", "version", metavar="VERSION", help="With --pathway: default its newest")
@click.option("--yes", is_flag=True, help="With --pathway: do not ask for confirmation")
@click.option("--json", "as_json", is_flag=True, help="With --pathway and --yes")
def set_protocol_command(
    ref: str | None,
    spec: str | None,
    pathway: str | None,
    version: str | None,
    yes: bool,
    as_json: bool,
) -> None:
    """Move patient REF to another protocol (version) from the next check-in on; or, with
    --pathway, every patient followed on that pathway to one version of it (a safety fix).

    \b
      eras patient set-protocol P-014 spine-miss-fusion
      eras patient set-protocol --pathway spine-miss-lumbar --to 2

    The whole-pathway move shows what changes (as `eras protocol diff`) and for whom, then
    asks before it moves anyone. Each patient's move is audited.
    """
    if pathway is None:
        if ref is None or spec is None or version is not None or yes or as_json:
            raise click.UsageError(
                "give REF ID[@VERSION], or --pathway ID [--to VERSION] [--yes] [--json]"
            )
        _move_one(ref, spec)
    elif ref is not None or spec is not None:
        raise click.UsageError("--pathway moves everyone on it: give no REF")
    elif as_json and not yes:
        raise click.UsageError("--json needs --yes (there is no one to ask)")
    else:
        _move_pathway(pathway, version, yes=yes, as_json=as_json)


def _move_one(ref: str, spec: str) -> None:
    catalogue = _catalogue()

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as session:
            return await set_protocol(
                session, catalogue, ref=ref, spec=spec, now=SystemClock().now(), actor=admin_ref()
            )

    try:
        changed = with_database(work)
    except (EnrolmentRefused, UnknownProtocol) as error:
        raise CommandFailed(str(error)) from None
    click.echo(
        f"{changed.ref}: {changed.before} → {changed.after}; "
        f"{changed.replanned} check-ins planned by the new version"
    )


def _move_pathway(pathway: str, version: str | None, *, yes: bool, as_json: bool) -> None:
    catalogue = _catalogue()

    async def planning(sessions: async_sessionmaker[AsyncSession]) -> PathwayMove:
        async with sessions.begin() as session:  # resolving stores today's file, if new
            return await plan_pathway_move(
                session, catalogue, pathway=pathway, version=version, now=SystemClock().now()
            )

    try:
        plan = with_database(planning)
    except (EnrolmentRefused, UnknownProtocol) as error:
        raise CommandFailed(str(error)) from None
    if not as_json:
        _show_plan(plan)
    if not plan.patients:
        if as_json:
            echo_json({"pathway": plan.pathway, "to": plan.to, "moved": []})
        return
    if not yes:
        click.confirm(f"Move these {len(plan.patients)} patients to {plan.to}?", abort=True)

    async def moving(sessions: async_sessionmaker[AsyncSession]) -> list[ProtocolChanged]:
        async with sessions.begin() as session:
            return await move_pathway(
                session, catalogue, plan, now=SystemClock().now(), actor=admin_ref()
            )

    moved = with_database(moving)
    if as_json:
        echo_json(
            {
                "pathway": plan.pathway,
                "to": plan.to,
                "changes": plan.changes,
                "moved": [
                    {"ref": m.ref, "from": m.before, "to": m.after, "planned": m.replanned}
                    for m in moved
                ],
            }
        )
        return
    click.echo(f"{len(moved)} patients moved to {plan.to}")
    if len(moved) < len(plan.patients):
        click.echo(f"{len(plan.patients) - len(moved)} had moved or ended meanwhile: left alone")


def _show_plan(plan: PathwayMove) -> None:
    if not plan.patients:
        click.echo(f"nobody followed on {plan.pathway} is on another version than {plan.to}")
        return
    for before, changes in plan.changes.items():
        click.echo(f"What changes from {before} to {plan.to}:")
        for change in changes or ["no changes"]:
            click.echo(f"  {change}")
    changed = [p for p in plan.patients if p.next_before != p.next_after]
    click.echo(
        f"{len(plan.patients)} patients move to {plan.to}; "
        f"next check-in changes for {len(changed)}:"
    )
    for p in plan.patients:
        before, after = str(p.next_before or "none"), str(p.next_after or "none")
        next_one = f"{before} → {after}" if before != after else f"{before} (unchanged)"
        click.echo(
            f"  {p.ref:<12} {p.before:<22} {p.procedure or 'procedure not recorded':<28} "
            f"next {next_one}; {p.ahead_before} → {p.ahead_after} check-ins ahead"
        )


KEEP_CLINICAL = click.option(
    "--keep-clinical/--drop-clinical",
    default=True,
    show_default=True,
    help="Keep the pseudonymous clinical record (check-ins, scores, alerts and outcomes)",
)


@patient.command("erase")
@click.argument("ref")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation")
@KEEP_CLINICAL
@click.option("--json", "as_json", is_flag=True)
def erase_command(ref: str, yes: bool, keep_clinical: bool, as_json: bool) -> None:
    """Erase what identifies patient REF: Telegram account, name, what they wrote and sent,
    messages to them. Follow-up stops. Audited."""
    if not yes:
        click.confirm(f"Erase everything that identifies {ref}? This cannot be undone", abort=True)

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as session:
            return await erase_patient(
                session, ref, SystemClock().now(), actor=admin_ref(), keep_clinical=keep_clinical
            )

    try:
        done = with_database(work)
    except ErasureRefused as error:
        raise CommandFailed(str(error)) from None
    if as_json:
        echo_json({"ref": done.ref, "erased_at": done.erased_at, "already": done.already})
    elif done.already:
        click.echo(f"{ref} was erased already, at {done.erased_at:%Y-%m-%d %H:%M} UTC")
    else:
        kept = "clinical record kept" if done.clinical_kept else "clinical record dropped"
        click.echo(
            f"{ref} erased ({kept}); {done.raw_updates} Telegram updates emptied, "
            f"{done.messages} messages cancelled"
        )


@patient.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=1),
    help="Days since the follow-up ended (default: ERAS_RETENTION_DAYS)",
)
@click.option("--dry-run", is_flag=True, help="List who would be erased; change nothing")
@KEEP_CLINICAL
@click.option("--json", "as_json", is_flag=True)
def purge_command(days: int | None, dry_run: bool, keep_clinical: bool, as_json: bool) -> None:
    """Erase the patients whose follow-up ended more than DAYS ago (see `patient erase`)."""
    days = days or settings().retention_days
    if days is None:
        raise CommandFailed("give --older-than DAYS or set ERAS_RETENTION_DAYS")

    async def work(sessions: async_sessionmaker[AsyncSession]) -> Any:
        return await purge(
            sessions,
            SystemClock().now(),
            timedelta(days=days),
            actor=admin_ref(),
            keep_clinical=keep_clinical,
            dry_run=dry_run,
        )

    done = with_database(work)
    if as_json:
        echo_json({"cutoff": done.cutoff, "erased": done.erased, "dry_run": dry_run})
        return
    verb = "would be erased" if dry_run else "erased"
    click.echo(
        f"{len(done.erased)} patients {verb} (follow-up ended before {done.cutoff:%Y-%m-%d})"
    )
    for ref in done.erased:
        click.echo(f"  {ref}")
