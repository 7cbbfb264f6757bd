"""The one-time link an admin hands a patient: printed, and as a QR code file."""

from __future__ import annotations

import asyncio
import io
import os
from datetime import datetime
from pathlib import Path

import click

from bot.cli.common import CommandFailed
from bot.settings import Settings


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


def check_qr_path(path: Path, *, force: bool) -> None:
    """Refuse before anything is enrolled or reissued when the file obviously can't be
    written; ``write_qr`` still guards against what changes meanwhile."""
    check_writable(path, force=force, what="the QR code", example="qr.png")


def check_writable(path: Path, *, force: bool, what: str, example: str) -> None:
    if path.is_symlink():
        raise CommandFailed(f"{path} is a symbolic link: give {what}'s own file")
    if path.exists() and not force:
        raise CommandFailed(f"{path} exists: give another file, or --force to overwrite it")
    if path.is_dir():
        raise CommandFailed(f"{path} is a directory: give a file name, e.g. {path}/{example}")
    folder = path.parent
    if not folder.is_dir():
        raise CommandFailed(f"cannot write {what}: there is no folder {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CommandFailed(f"cannot write {what}: folder {folder} is not writable")


def write_private(path: Path, data: bytes, *, force: bool) -> None:
    """Readable by its owner only (it holds links that enrol a patient); raises OSError."""
    # O_NOFOLLOW: a link planted at that name can't make us write elsewhere.
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_TRUNC if force else os.O_EXCL)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def write_qr(link: str, path: Path, *, force: bool) -> None:
    import segno

    image = io.BytesIO()
    # High error correction: a discharge sheet gets folded, creased and photocopied.
    segno.make(link, error="h").save(image, kind="png", scale=8, border=4)
    try:
        write_private(path, image.getvalue(), force=force)
    except OSError as error:
        raise CommandFailed(
            f"could not write the QR code to {path} ({error.strerror or error}); "
            "the link above works: give it to the patient, or print a QR code of it"
        ) from None


def deep_link(username: str, token: str) -> str:
    return f"https://t.me/{username}?start={token}"


QR_OPTION = click.option(
    "--qr",
    "qr_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the link as a QR code (PNG) to this file",
)
FORCE_OPTION = click.option("--force", is_flag=True, help="With --qr: overwrite the file")


def echo_link(link: str, expires_at: datetime) -> None:
    click.echo(f"one-time link (valid until {expires_at:%Y-%m-%d %H:%M} UTC):")
    click.echo(f"  {link}")


def finish_qr(link: str, qr_path: Path | None, *, force: bool, quiet: bool) -> None:
    """After the link is printed: a file that can't be written costs the patient nothing."""
    if qr_path is None:
        return
    write_qr(link, qr_path, force=force)
    if not quiet:
        click.echo(f"QR code written to {qr_path}")
