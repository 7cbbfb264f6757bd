"""``eras report outcomes`` on the demo's ward (what ``eras demo --console`` seeds): the HTML,
the CSV and the JSON, each from the same use case the command calls."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from markupsafe import escape

from bot.app.demo import Demo, run_demo
from bot.app.demo_console import more_patients
from bot.reports.outcomes.long_format import COLUMNS
from bot.reports.outcomes.reading import Scope
from bot.reports.outcomes.writing import write_report

DEMO_REFS = {"DEMO-001", "DEMO-002", "DEMO-003"}  # DEMO-004 never opened her link


async def _demo_reports() -> dict[str, str]:
    written: dict[str, str] = {}

    async def afterwards(demo: Demo) -> None:
        await more_patients(demo)
        runtime = demo.runtime
        for report_format in ("html", "csv", "json"):
            sink = io.StringIO()
            await write_report(
                runtime.sessions,
                runtime.catalogue,
                Scope(team="Spine ward"),
                report_format,
                sink,
                now=runtime.clock.now(),
            )
            written[report_format] = sink.getvalue()

    await run_demo(lambda _line: None, afterwards)
    return written


async def test_the_demo_ward_gives_the_report_in_html_csv_and_json() -> None:
    written = await _demo_reports()

    report: dict[str, Any] = json.loads(written["json"])
    assert report["scope"]["team"] == "Spine ward"
    groups = {row["group"]: row for row in report["cohort"]}
    assert set(groups) == {
        "pathway: spine-miss-lumbar",
        "approach: MISS",
        "operation: decompression",
        "all",
    }
    # Four patients, three of them answering: small cells, masked in the report, with no
    # statistic over them.
    assert groups["all"]["patients"] == "<5" and groups["all"]["response_rate"] is None
    assert [m["id"] for m in report["milestones"]] == ["walking_outside_long", "back_pain_3"]
    rates = {row["tier"]: row["alerts"] for row in report["alerts"]["rates"]}
    assert rates == {"amber": 0, "red_urgent": "<5", "red_emergency": 0}
    (resolved,) = report["complications"]
    assert resolved["pathway"] == "spine-miss-lumbar" and resolved["complications"] == 0

    html = written["html"]
    assert html.startswith("<!doctype html>") and "Spine ward" in html
    assert "spine-miss-lumbar" in html and str(escape(report["small_cells"])) in html
    # Self-contained: every figure is inline, nothing is fetched.
    sources = re.findall(r'<img src="([^"]+)"', html)
    assert len(sources) == 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r'(src|href)="https?:', html)

    rows = list(csv.DictReader(io.StringIO(written["csv"])))
    assert tuple(rows[0]) == COLUMNS
    answers = [r for r in rows if r["record"] == "answer"]
    assert {r["patient_ref"] for r in answers} == DEMO_REFS
    assert {"pain_back", "wound_bleeding"} <= {r["item"] for r in answers}
    events = [r for r in rows if r["record"] == "alert_event"]
    assert {r["alert_tier"] for r in events} == {"red_urgent"}
    assert {"opened", "acknowledged", "resolved"} <= {r["event"] for r in events}
    assert [r["outcome"] for r in events if r["event"] == "resolved"] == ["advice_given"]
    assert "<5" not in written["csv"]  # the hospital's own data is never masked
