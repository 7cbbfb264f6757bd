"""The report as one self-contained HTML file (figures inline as PNG data), or as JSON.

Both are made from the shown copy (small cells hidden); the figures from the exact one,
drawing no group under five and masking numbers at risk under five.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.reports.outcomes import figures
from bot.reports.outcomes.small_cells import NOTE, hidden

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
PAIN_TITLES = {"pain_back": "Back pain by POD", "pain_leg": "Leg pain by POD"}


def shown(report: dict[str, Any]) -> dict[str, Any]:
    masked: dict[str, Any] = hidden(report)
    masked["small_cells"] = NOTE
    return masked


def as_json(report: dict[str, Any]) -> str:
    return json.dumps(shown(report), indent=2, ensure_ascii=False)


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def as_html(report: dict[str, Any]) -> str:
    """The self-contained file: the report's body with its own styles."""
    return _TEMPLATES.get_template("outcomes.html").render(_page(report))


def as_fragment(report: dict[str, Any]) -> Markup:
    """The report's body alone, for a page that has its own head, title and styles."""
    return Markup(_TEMPLATES.get_template("outcomes_body.html").render(_page(report)))


def _page(report: dict[str, Any]) -> dict[str, Any]:
    curves = {
        section["id"]: _data_uri(figures.milestone_curves(section))
        for section in report["milestones"]
    }
    pain = {
        item: _data_uri(figures.pain_by_pod(report["pain"], item, title))
        for item, title in PAIN_TITLES.items()
    }
    page = shown(report)
    return {
        "report": page,
        "curve_images": curves,
        "pain_images": pain,
        "pain_titles": PAIN_TITLES,
        "response": _by_pathway(page["response_by_pod"]),
        "walking_levels": _levels(page["walking"]),
        "opioid_levels": _levels(page["opioid_use"]),
    }


def _levels(rows: list[dict[str, Any]]) -> list[str]:
    return list(rows[0]["counts"]) if rows else []


def _by_pathway(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows by POD as one line a pathway: the PODs, and each pathway's row by POD."""
    by_pathway: dict[str, dict[int, dict[str, Any]]] = {}
    for row in rows:
        by_pathway.setdefault(row["pathway"], {})[row["pod"]] = row
    return {"pods": sorted({row["pod"] for row in rows}), "rows": by_pathway}
