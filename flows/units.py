"""Units of measure (UCUM codes) that typed replies may carry, and the conversions we know.

Only linear conversions with exact textbook factors live here; a protocol can name any
conversion below and the validator refuses the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    symbol: str  # what a patient reads
    typed: tuple[str, ...]  # what a patient may type after the number, lower case
    one: str | None = None  # the symbol after exactly 1, where it differs ("1 day")


UNITS: dict[str, Unit] = {
    "Cel": Unit("°C", ("°c", "ºc", "c", "celsius")),
    "[degF]": Unit("°F", ("°f", "ºf", "f", "fahrenheit")),
    "kg": Unit("kg", ("kg", "kgs", "kilo", "kilos")),
    "[lb_av]": Unit("lb", ("lb", "lbs", "pound", "pounds", "libras")),
    "d": Unit("days", ("d", "day", "days", "día", "días", "dia", "dias"), one="day"),
}


def _fahrenheit_to_celsius(value: float) -> float:
    return (value - 32.0) * 5.0 / 9.0


def _pounds_to_kilograms(value: float) -> float:
    return value * 0.45359237


CONVERSIONS: dict[tuple[str, str], Callable[[float], float]] = {
    ("[degF]", "Cel"): _fahrenheit_to_celsius,
    ("[lb_av]", "kg"): _pounds_to_kilograms,
}


def symbol(code: str) -> str:
    """How a unit is shown: its symbol when we know it, else its code."""
    unit = UNITS.get(code)
    return unit.symbol if unit else code


def quantity(number: str, value: float, code: str) -> str:
    """A number already formatted, with its unit: ``38.5 °C``, ``1 day``, ``4 days``."""
    unit = UNITS.get(code)
    if unit is not None and unit.one is not None and value == 1:
        return f"{number} {unit.one}"
    return f"{number} {symbol(code)}"
