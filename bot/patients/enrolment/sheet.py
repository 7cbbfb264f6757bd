"""The printable enrolment sheet a patient takes home: their link as text and as a QR code,
their operation, when the check-ins come and what they ask, the warning signs and the
emergency number, in their language, on one A4 page. HTML, printed from a browser:
rendering thousands stays quick, and the console shows the very same sheet."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from jinja2 import Environment, PackageLoader, Template, select_autoescape
from markupsafe import Markup

from bot.i18n import t
from bot.patients.enrolment.welcome import welcome_text
from flows import CheckInKind, Protocol, plan_check_ins

QR_MASK = 0
# The sheet's style, written into a sheet saved as a file; the console, whose pages allow
# no inline style, links to it instead.
STYLESHEET = Path(__file__).parent / "templates" / "enrolment_sheet.css"


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
    time_zone: str
    discharge_date: date | None = None
    team_phone: str | None = None  # the ward's own phone, for questions that can wait


@cache
def _template() -> Template:
    environment = Environment(
        loader=PackageLoader("bot.patients.enrolment", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    return environment.get_template("enrolment_sheet.html")


def render_sheet(
    sheet: Sheet, *, stylesheet_href: str | None = None, staff_notice: Markup | None = None
) -> str:
    """``stylesheet_href``: link to the style (and the site's icon) rather than include it;
    ``staff_notice``: shown above the sheet on screen, never printed (the console's word to
    the nurse)."""
    lang = sheet.language
    # High error correction: a sheet gets folded, creased and photocopied. Any of the eight
    # masks reads; trying them all for the best-looking one took three quarters of a sheet's
    # time, so one is fixed.
    qr = segno.make(sheet.link, error="h", mask=QR_MASK)
    advice = sheet.protocol.advice
    red_flags = advice.safety_net or advice.red_emergency  # the protocol's reviewed words
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
        when=t(lang, "sheet_when", times=_when(sheet)),
        asks=t(lang, "sheet_asks"),
        red_flags_title=t(lang, "sheet_red_flags"),
        red_flags=red_flags[lang].format(emergency_number=sheet.emergency_number),
        emergency_number=sheet.emergency_number,
        team_phone=(
            t(lang, "sheet_team_phone", team=sheet.team, phone=sheet.team_phone)
            if sheet.team_phone
            else None
        ),
        open_link=t(lang, "sheet_open_link"),
        link=sheet.link,
        expires=t(lang, "sheet_expires", expires=f"{sheet.expires_at:%Y-%m-%d}"),
        qr_svg=Markup(qr.svg_inline(scale=4, border=4, title=t(lang, "sheet_qr_title"))),
        stylesheet_href=stylesheet_href,
        stylesheet=None if stylesheet_href else _stylesheet(),
        staff_notice=staff_notice,
    )


def _when(sheet: Sheet) -> str:
    """The days of the check-ins, in the patient's time zone, as the schedule plans them."""
    zone = ZoneInfo(sheet.time_zone)
    planned = plan_check_ins(sheet.protocol, sheet.surgery_date, sheet.discharge_date, zone)
    lang, parts = sheet.language, []
    days = [p.due_at.astimezone(zone) for p in planned if p.kind is not CheckInKind.EVENING]
    for evening in (p.due_at.astimezone(zone) for p in planned if p.kind is CheckInKind.EVENING):
        parts.append(t(lang, "sheet_evening", date=f"{evening:%Y-%m-%d}", time=f"{evening:%H:%M}"))
    if days:
        dates = ", ".join(f"{day:%Y-%m-%d}" for day in days)
        parts.append(t(lang, "sheet_days", time=f"{days[0]:%H:%M}", dates=dates))
    return "; ".join(parts)


@cache
def _stylesheet() -> Markup:
    return Markup(STYLESHEET.read_text(encoding="utf-8"))


def stylesheet() -> str:
    return str(_stylesheet())
