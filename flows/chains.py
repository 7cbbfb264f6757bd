"""Escalation chains as admins write them: one step per ``AFTER:WHO[:daytime][:every=REPEAT]``.

``0:team_chat``, ``4h:on_call:daytime`` and ``30m:surgeon:every=5m`` read "at once, the team
chat", "after 4 daytime hours, the on-call nurse", "after 30 min, the surgeon, again every
5 min until someone acknowledges". Mistakes are refused with a reason an admin can act on.
"""

from __future__ import annotations

from collections.abc import Sequence

from flows.escalation import NOTIFY, ChainStep, parse_duration

DAYTIME = "daytime"
EVERY = "every="
_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def parse_step(text: str) -> ChainStep:
    """One step from its text; ValueError saying what is wrong otherwise."""
    after, _, rest = text.strip().partition(":")
    notify, _, options = rest.partition(":")
    if not after or not notify:
        raise ValueError(f"step {text!r}: write AFTER:WHO, e.g. 4h:on_call")
    if notify not in NOTIFY:
        raise ValueError(
            f"step {text!r}: unknown notify target {notify!r} (use {', '.join(NOTIFY)})"
        )
    daytime, repeat = False, None
    for option in options.split(":") if options else ():
        if option == DAYTIME:
            daytime = True
        elif option.startswith(EVERY):
            repeat = _duration(option.removeprefix(EVERY), text)
        else:
            raise ValueError(
                f"step {text!r}: unknown option {option!r} (use daytime or every=DURATION)"
            )
    return ChainStep(_duration(after, text), notify, repeat, daytime)


def _duration(value: str, step: str) -> int:
    try:
        return parse_duration(value)
    except ValueError as error:
        raise ValueError(f"step {step!r}: {error}") from None


def format_step(step: ChainStep) -> str:
    """The text ``parse_step`` reads back as the same step."""
    parts = [format_duration(step.after_seconds), step.notify]
    if step.daytime:
        parts.append(DAYTIME)
    if step.repeat_every_seconds:
        parts.append(EVERY + format_duration(step.repeat_every_seconds))
    return ":".join(parts)


def format_duration(seconds: int) -> str:
    """Seconds in the largest unit that holds them exactly: 14400 → '4h', 90 → '90s'."""
    if seconds == 0:
        return "0"
    unit, size = next((u, s) for u, s in _UNITS if seconds % s == 0)
    return f"{seconds // size}{unit}"


def check_chain(chain: Sequence[ChainStep]) -> None:
    """Refuse a chain that would not run as written (ValueError naming the step)."""
    if not chain:
        raise ValueError("a chain needs at least one step")
    for number, step in enumerate(chain, start=1):
        if step.repeat_every_seconds is not None and step.repeat_every_seconds <= 0:
            raise ValueError(f"step {number}: it must repeat after more than 0 seconds")
        if number > 1 and step.after_seconds < chain[number - 2].after_seconds:
            raise ValueError(
                f"steps out of order: step {number} ({format_step(step)}) comes sooner than "
                f"step {number - 1} ({format_step(chain[number - 2])}); list them earliest first"
            )
        if step.repeat_every_seconds and number < len(chain):
            # A repeating step runs until someone acknowledges: nothing after it would run.
            raise ValueError(
                f"step {number} ({format_step(step)}) repeats until acknowledged, so the steps "
                "after it would never run: make it the last"
            )
