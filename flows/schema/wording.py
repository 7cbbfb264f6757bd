"""The patient-facing words that are not clinical: buttons, re-ask hints, yes/no/skip words.

English and Spanish are built in. A protocol may change any of them, or add a language, under
``wording: {<language>: {<key>: <text>}}``; a language that is not built in must give them all.
Hints may use ``{min}``, ``{max}``, ``{unit}`` and ``{units}``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
