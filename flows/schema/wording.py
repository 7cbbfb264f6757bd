"""The patient-facing words that are not clinical: buttons, re-ask hints, yes/no/skip words.

English and Spanish are built in. A protocol may change any of them, or add a language, under
``wording: {<language>: {<key>: <text>}}``; a language that is not built in must give them all.
Hints may use ``{min}``, ``{max}``, ``{unit}`` and ``{units}``.

A question may say ``{since}`` (``leg_weakness``: "weaker than {since}?"): it reads
``since_last_check_in`` with the day of the patient's last answered check-in written by
``date_format`` (``{weekday}``, ``{day}``, ``{month}``), or ``since_leaving_hospital`` at the
first check-in. These keys are optional for a language that is not built in, unless one of
its questions uses ``{since}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from flows.schema.common import Strict

NonEmpty = Annotated[str, StringConstraints(min_length=1)]
Words = Annotated[tuple[NonEmpty, ...], Field(min_length=1)]


class Wording(Strict):
    yes: NonEmpty
    no: NonEmpty
    skip: NonEmpty
    none_of_these: NonEmpty
    some_of_these: NonEmpty
    yes_words: Words
    no_words: Words
    skip_words: Words
    reask_yes_no: NonEmpty
    reask_choice: NonEmpty
    reask_whole_number: NonEmpty
    reask_number: NonEmpty
    reask_photo: NonEmpty
    reask_text: NonEmpty
    or_skip: NonEmpty
    also_accepted: NonEmpty
    decimal_mark: NonEmpty
    since_last_check_in: NonEmpty | None = None
    since_leaving_hospital: NonEmpty | None = None
    date_format: NonEmpty | None = None
    weekdays: Annotated[tuple[NonEmpty, ...], Field(min_length=7, max_length=7)] | None = None
    months: Annotated[tuple[NonEmpty, ...], Field(min_length=12, max_length=12)] | None = None

    @property
    def dates(self) -> bool:
        """Whether this wording can fill ``{since}``."""
        return None not in (
            self.since_last_check_in,
            self.since_leaving_hospital,
            self.date_format,
            self.weekdays,
            self.months,
        )

    def since(self, day: date | None) -> str:
        """``{since}``: the last check-in's day, or leaving hospital when there was none."""
        assert self.dates, "checked when the protocol is loaded"
        if day is None:
            return str(self.since_leaving_hospital)
        assert self.weekdays is not None and self.months is not None
        named = str(self.date_format).format(
            weekday=self.weekdays[day.weekday()], day=day.day, month=self.months[day.month - 1]
        )
        return str(self.since_last_check_in).format(date=named)


BUILT_IN: Mapping[str, Wording] = {
    "en": Wording(
        yes="Yes",
        no="No",
        skip="Skip",
        none_of_these="None of these",
        some_of_these="Yes, one or more",
        yes_words=("yes", "y", "yeah", "yep"),
        no_words=("no", "n", "nope"),
        skip_words=("skip", "pass", "-"),
        reask_yes_no="Please answer yes or no.",
        reask_choice="Please choose one of the buttons, or send its number.",
        reask_whole_number="Please send a whole number from {min} to {max}.",
        reask_number="Please send a number from {min} to {max} {unit}.",
        reask_photo="Please send a photo.",
        reask_text="Please type your answer.",
        or_skip="You can also send “skip”.",
        also_accepted="{units} also accepted.",
        decimal_mark=".",
        since_last_check_in="at your last check-in ({date})",
        since_leaving_hospital="when you left hospital",
        date_format="{weekday} {day} {month}",
        weekdays=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
    ),
    "es": Wording(
        yes="Sí",
        no="No",
        skip="Omitir",
        none_of_these="Ninguno de estos",
        some_of_these="Sí, alguno",
        yes_words=("sí", "si"),
        no_words=("no",),
        skip_words=("omitir", "saltar"),
        reask_yes_no="Por favor, responda sí o no.",
        reask_choice="Por favor, elija uno de los botones o envíe su número.",
        reask_whole_number="Por favor, envíe un número entero del {min} al {max}.",
        reask_number="Por favor, envíe un número del {min} al {max} {unit}.",
        reask_photo="Por favor, envíe una foto.",
        reask_text="Por favor, escriba su respuesta.",
        or_skip="También puede enviar «omitir».",
        also_accepted="También se acepta en {units}.",
        decimal_mark=",",
        since_last_check_in="en su último control ({date})",
        since_leaving_hospital="cuando salió del hospital",
        date_format="{weekday} {day} de {month}",
        weekdays=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        months=(
            "enero",
            "febrero",
            "marzo",
            "abril",
            "mayo",
            "junio",
            "julio",
            "agosto",
            "septiembre",
            "octubre",
            "noviembre",
            "diciembre",
        ),
    ),
}

WORDING_KEYS = tuple(Wording.model_fields)


def wording_for(language: str, changes: Mapping[str, Any]) -> Wording:
    """The built-in wording of ``language`` (if any) with ``changes`` applied.

    Raises pydantic's ValidationError when a key is unknown or, for a language that is not
    built in, missing.
    """
    base = BUILT_IN[language].model_dump() if language in BUILT_IN else {}
    return Wording.model_validate({**base, **changes})
