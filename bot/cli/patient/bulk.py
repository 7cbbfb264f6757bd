"""``eras enroll --csv FILE``: a list of patients enrolled at once, with a list of their links
and one printable sheet each."""

from __future__ import annotations

import csv
import io
import os
import re
import sys
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli.common import CommandFailed, admin_ref, echo_json, settings, with_database
from bot.cli.patient.links import bot_username, check_writable, deep_link, write_private
from bot.cli.patient.shared import catalogue, emergency_number
from bot.clock import SystemClock
from bot.patients.enrolment.bulk import Enrolled, ListRefused, enrol_list, read_list
from bot.patients.enrolment.sheet import Sheet, render_sheet

LINKS_FILE = "enrolment-links.csv"


def enrol_from_list(csv_path: Path, out: Path | None, *, force: bool, as_json: bool) -> None:
    now = SystemClock().now()
    source = str(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandFailed(
            f"cannot read {csv_path}: {getattr(error, 'strerror', error)}"
        ) from None
    try:
        listing = read_list(text, source, today=now.date(), confirmed=force)
    except ListRefused as refused:
        _refuse(refused)
    rows = listing.rows
    folder = out if out is not None else csv_path.parent
    names = _sheet_names([row.ref for row in rows])
    _check_folder(folder, [LINKS_FILE, *names.values()], force=force)
    username = bot_username(settings())
    emergency = emergency_number()
    protocols = catalogue()
    show_progress = sys.stdout.isatty() and not as_json

    async def work(sessions: async_sessionmaker[AsyncSession]) -> list[Enrolled]:
        bar = click.progressbar(length=len(rows), label="enrolling") if show_progress else None
        with bar if bar is not None else nullcontext():
            tick: Callable[[int], None] = bar.update if bar is not None else lambda _n: None
            written: list[Path] = []
            try:
                async with sessions.begin() as session:
                    done = await enrol_list(
                        session,
                        protocols,
                        listing,
                        now=now,
                        actor=admin_ref(),
                    )
                    # Written before the commit: files that cannot be written enrol nobody.
                    written = _write(folder, done, names, username, emergency, tick, force=force)
            except BaseException:
                for path in written:  # the commit failed: their links would not work
                    path.unlink(missing_ok=True)
                raise
        return done

    try:
        done = with_database(work)
    except ListRefused as refused:
        _refuse(refused)
    if as_json:
        echo_json(
            {
                "enrolled": len(done),
                "links": str(folder / LINKS_FILE),
                "sheets": [str(folder / names[e.row.ref]) for e in done],
            }
        )
        return
    click.echo(f"{len(done)} patients enrolled from {csv_path}")
    click.echo(f"links: {folder / LINKS_FILE} (keep it private: each link enrols a patient)")
    click.echo(f"sheets to print: {len(done)} in {folder}")


def _refuse(refused: ListRefused) -> Any:
    for problem in refused.problems:
        click.echo(problem, err=True)
    raise CommandFailed(f"{len(refused.problems)} problems: nobody was enrolled")


def _sheet_names(refs: list[str]) -> dict[str, str]:
    """A file name for each reference's sheet; two references that would share one (they
    differ only by characters a file name can't hold) are told apart by number."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for number, ref in enumerate(refs, start=1):
        name = f"sheet-{re.sub(r'[^A-Za-z0-9._-]', '_', ref)}.html"
        if name in taken:
            name = name.removesuffix(".html") + f"-{number}.html"
        taken.add(name)
        names[ref] = name
    return names


def _check_folder(folder: Path, files: list[str], *, force: bool) -> None:
    """Refuse before anyone is enrolled when the files obviously can't be written."""
    if folder.is_symlink():
        raise CommandFailed(f"{folder} is a symbolic link: give the folder itself")
    if not folder.is_dir():
        raise CommandFailed(f"cannot write the links and sheets: there is no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandFailed(f"cannot write the links and sheets: {folder} is not writable")
    for name in files:
        check_writable(folder / name, force=force, what="the list of links", example=LINKS_FILE)


def _write(
    folder: Path,
    done: list[Enrolled],
    names: dict[str, str],
    username: str,
    emergency: str,
    tick: Callable[[int], None],
    *,
    force: bool,
) -> list[Path]:
    """The sheets, then the list of links; the slowest part, so the one the bar follows."""
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["ref", "link", "expires_at", "sheet"])
    written: list[Path] = []
    try:
        for enrolled in done:
            row, enrolment = enrolled.row, enrolled.enrolment
            link = deep_link(username, enrolment.token)
            expires = f"{enrolment.token_expires_at:%Y-%m-%d %H:%M} UTC"
            writer.writerow([row.ref, link, expires, names[row.ref]])
            sheet = Sheet(
                link=link,
                expires_at=enrolment.token_expires_at,
                language=row.language,
                team=enrolment.team,
                surgery_date=enrolled.surgery_date,
                procedure=row.procedure,
                protocol=enrolled.protocol,
                emergency_number=enrolment.emergency_number(emergency),
                team_phone=enrolment.team_phone,
                time_zone=row.time_zone,
                discharge_date=row.discharge_date,
            )
            path = folder / names[row.ref]
            write_private(path, render_sheet(sheet).encode(), force=force)
            written.append(path)
            tick(1)
        path = folder / LINKS_FILE
        write_private(path, table.getvalue().encode(), force=force)
        written.append(path)
        return written
    except OSError as error:
        for path in written:  # their links will not work: nobody is enrolled
            path.unlink(missing_ok=True)
        raise CommandFailed(
            f"could not write {error.filename or folder} ({error.strerror or error}): "
            "nobody was enrolled"
        ) from None
