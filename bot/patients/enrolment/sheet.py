"""The printable enrolment sheet a patient takes home: their link as text and as a QR code,
their operation, what the follow-up will do and what to do in an emergency, in their
language. HTML, printed from a browser: rendering thousands stays quick, and the console
can show the very same sheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import segno
from jinja2 import Environment, PackageLoader, Template, select_autoescape

from bot.i18n import t
from bot.patients.enrolment.welcome import welcome_text
from flows import Protocol

QR_MASK = 0


@dataclass(frozen=True)
class Sheet:
    link: str
    expires_at: datetime  # UTC
    language: str
    team: str
    surgery_date: date
    procedure: str | None
    protocol: Protocol
    emergency_number: str


@cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("bot.patients.enrolment", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    return environment.get_template("enrolment_sheet.html")


def render_sheet(sheet: Sheet) -> str:
    lang = sheet.language
    # High error correction: a sheet gets folded, creased and photocopied. Any of the eight
    # masks reads; trying them all for the best-looking one took three quarters of a sheet's
    # time, so one is fixed.
    qr = segno.make(sheet.link, error="h", mask=QR_MASK)
    return _template().render(
        lang=lang,
        title=t(lang, "sheet_title"),
        operation=t(
            lang,
            "sheet_operation",
            procedure=sheet.procedure or t(lang, "updated_not_recorded"),
            date=sheet.surgery_date.isoformat(),
        ),
        what_it_does=welcome_text(
            lang,
            team=sheet.team,
            procedure=sheet.procedure,
            protocol=sheet.protocol,
            emergency_number=sheet.emergency_number,
        ).splitlines(),
        open_link=t(lang, "sheet_open_link"),
        link=sheet.link,
        expires=t(lang, "sheet_expires", expires=f"{sheet.expires_at:%Y-%m-%d}"),
        qr_svg=qr.svg_inline(scale=5, border=4, title=t(lang, "sheet_qr_title")),
    )
