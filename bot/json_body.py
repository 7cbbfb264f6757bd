"""Reading a JSON body from outside: bounded nesting, and numbers only as JSON has them.

Python's parser accepts ``NaN`` and ``Infinity`` (and makes ``1e999`` an infinity), which no
other JSON reader agrees on, and fails with ``RecursionError`` past a thousand levels of
nesting. Both are refused here as what they are: not a JSON document this program takes.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

# Telegram's updates nest about ten levels deep (a button in a keyboard in a message).
MAX_DEPTH = 32


class NotJson(ValueError):
    """The body is not a JSON document this program reads; the text says why."""


def read_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    try:
        value = json.loads(body, parse_constant=_constant, parse_float=_finite)
    except RecursionError:
        raise NotJson("nested too deeply") from None
    except NotJson:
        raise
    except ValueError:  # malformed, or not UTF-8
        raise NotJson("not JSON") from None
    if _deeper_than(value, max_depth):
        raise NotJson("nested too deeply")
    return value


def _constant(name: str) -> NoReturn:
    raise NotJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NotJson("a number too large")
    return number


def _deeper_than(value: Any, limit: int) -> bool:
    """Arrays and objects nested more than ``limit`` deep (walked without recursion)."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
