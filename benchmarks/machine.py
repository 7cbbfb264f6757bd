"""The machine a benchmark ran on: figures mean little without it."""

from __future__ import annotations

import os
import platform
from typing import Any


def describe() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": _memory_gb(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": _load(),
    }


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gb() -> float | None:
    try:
        with open("/proc/meminfo") as info:
            for line in info:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _load() -> list[float] | None:
    """1, 5 and 15 minute load: above the number of CPUs, other work shared the machine."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None
