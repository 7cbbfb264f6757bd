"""The clinical core item dictionary (spine follow-up v2) as data.

An item that means one of these things uses the id below in every protocol, so that scores,
exports and clinical test cases mean the same everywhere. The validator checks that a protocol
item declared ``source: core`` is one of these and keeps its type, options, range and unit.
Which answer is worse follows the default rules (e.g. ``fluids_down = no`` is the concern).
"""

from __future__ import annotations

from dataclasses import dataclass

from flows.schema.items import Coding

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


@dataclass(frozen=True)
class CoreItem:
    id: str
    type: str
    options: tuple[str, ...] = ()  # normal to worst (ordinal: in rank order)
    ranks: tuple[int, ...] = ()  # ordinal items only
    range: tuple[float, float] | None = None
    # Ranges of earlier versions of the dictionary, still accepted so that a protocol stored
    # then keeps loading for the patients enrolled on it.
    earlier_ranges: tuple[tuple[float, float], ...] = ()
    unit: str | None = None
    skippable: bool = False  # must be skippable (a patient may have no thermometer)
    concerning: bool | None = None  # yes/no items: the worrying answer
    worse: str | None = None  # scales: "higher" or "lower"
    code: Coding | None = None


PAIN_SEVERITY = Coding(
    system=LOINC,
    code="72514-3",
    display="Pain severity - 0-10 verbal numeric rating [Score] - Reported",
)
BODY_TEMPERATURE = Coding(system=LOINC, code="8310-5", display="Body temperature")


def _yes_no(item_id: str, concerning: bool = True) -> CoreItem:
    return CoreItem(item_id, "yes_no", concerning=concerning)


CORE_ITEMS: dict[str, CoreItem] = {
    item.id: item
    for item in (
        CoreItem("pain_back", "nrs", worse="higher", code=PAIN_SEVERITY),
        CoreItem("pain_leg", "nrs", worse="higher", code=PAIN_SEVERITY),
        CoreItem("pain_control", "choice", ("controlled", "partly", "not_controlled")),
        CoreItem(
            "walking",
            "ordinal",
            ("none", "in_room", "indoors", "outside_short", "outside_long"),
            ranks=(0, 1, 2, 3, 4),
            worse="lower",
        ),
        _yes_no("leg_weakness"),
        _yes_no("saddle_numbness"),
        CoreItem("bladder", "choice", ("normal", "difficult", "cannot_pass", "leaking")),
        CoreItem("bowels_days", "integer", range=(0, 30), worse="higher"),
        CoreItem("wound_bleeding", "choice", ("dry", "spotting", "soaked", "swelling")),
        CoreItem("wound_fluid", "choice", ("none", "clear_watery", "cloudy_or_pus")),
        CoreItem("wound_redness", "choice", ("none", "mild", "spreading")),
        _yes_no("headache_upright"),
        CoreItem(
            "temperature",
            "number",
            range=(30.0, 43.0),
            earlier_ranges=((34.0, 43.0),),  # v1: a real low reading must reach the ≤ 35 rule
            unit="Cel",
            skippable=True,
            worse="higher",
            code=BODY_TEMPERATURE,
        ),
        _yes_no("calf"),
        _yes_no("chest_breath"),
        _yes_no("fainted"),
        _yes_no("dizzy"),
        _yes_no("fluids_down", concerning=False),
        _yes_no("fell"),
        _yes_no("confusion"),
        CoreItem("wound_photo", "photo", skippable=True),
        _yes_no("bowel_control"),
        _yes_no("near_faint"),
        CoreItem("sleepy", "choice", ("awake", "drowsy", "hard_to_wake")),
        CoreItem("opioid_use", "choice", ("none", "less", "same", "more")),
    )
}
