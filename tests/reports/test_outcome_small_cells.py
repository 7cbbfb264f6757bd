"""Small cells: counts from 1 to 4 read "<5" in the shown report, a statistic over fewer than
five is not shown, and the HTML page stands alone (nothing fetched from anywhere)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from bot.reports.outcomes.rendering import as_html, shown
from bot.reports.outcomes.report import build
from bot.reports.outcomes.rows import AlertRecord, CheckInRecord, EpisodeRecord
from bot.reports.outcomes.small_cells import HIDDEN, NOTE, hidden

OPENED = datetime(2026, 6, 3, 10, tzinfo=UTC)


def test_counts_from_one_to_four_are_hidden_and_zero_and_five_are_not() -> None:
    row = {"group": "all", "patients": 12, "check_ins_sent": 4, "check_ins_answered": 0}
    assert hidden(row) == {
        "group": "all",
        "patients": 12,
        "check_ins_sent": HIDDEN,
        "check_ins_answered": 0,
    }
    assert hidden({"rule": "fever", "n": 5, "confirmed": 5})["confirmed"] == 5


def test_a_share_made_from_a_count_under_five_is_not_shown() -> None:
    row = {"rule": "fever_high", "n": 10, "confirmed": 2, "precision": 20.0}
    assert hidden(row) == {"rule": "fever_high", "n": 10, "confirmed": HIDDEN, "precision": None}
    rate = {"tier": "amber", "alerts": 1, "patient_days": 2965, "per_100_patient_days": 0.03}
    assert hidden(rate)["per_100_patient_days"] is None


def test_a_group_under_five_shows_no_statistic() -> None:
    row = {"pathway": "spine-miss-lumbar", "pod": 3, "n": 3, "median": 4.0, "q1": 3.0, "q3": 6}
    assert hidden(row) == {
        "pathway": "spine-miss-lumbar",
        "pod": 3,
        "n": HIDDEN,
        "median": None,
        "q1": None,
        "q3": None,
    }
    curve = {"group": "x", "n": 2, "events": 1, "times": [3.0], "survival": [0.5], "median": 3}
    assert hidden(curve) == {
        "group": "x",
        "n": HIDDEN,
        "events": HIDDEN,
        "times": [],
        "survival": [],
        "median": None,
    }


def _episode(number: int, pathway: str, approach: str) -> EpisodeRecord:
    return EpisodeRecord(
        episode_id=number,
        pathway=pathway,
        approach=approach,
        operation="decompression",
        surgery_date=date(2026, 6, 1),
        status="active",
        check_ins=tuple(
            CheckInRecord(pod=pod, sent=True, answered=True, answers={"pain_back": 9 - pod})
            for pod in range(1, 8)
        ),
    )


def _report() -> dict:  # type: ignore[type-arg]
    episodes = [_episode(n, "spine-miss-lumbar", "MISS") for n in range(6)]
    episodes += [_episode(10 + n, "spine-open-lumbar", "open") for n in range(3)]
    alert = AlertRecord(
        alert_id=1, episode_id=0, pathway="spine-miss-lumbar", tier="amber", cause="rule",
        rules=("pain_high",), opened_at=OPENED, acknowledged_at=OPENED, resolved_at=OPENED,
        outcome="clinic_visit", clavien_dindo="I", night=False, ack_minutes=0.0,
        ack_counted_minutes=0.0, target_minutes=240, escalations=0,
    )  # fmt: skip
    return build(episodes, [alert], scope={"team": "Spine"}, generated_at=OPENED)


def test_the_shown_report_says_how_small_cells_are_shown() -> None:
    page = shown(_report())
    assert page["small_cells"] == NOTE
    cohort = {row["group"]: row["patients"] for row in page["cohort"]}
    assert cohort["pathway: spine-miss-lumbar"] == 6
    assert cohort["pathway: spine-open-lumbar"] == HIDDEN
    assert page["alerts"]["rates"][0]["alerts"] == HIDDEN  # one amber alert
    # The exact report keeps the counts (what the CSV is made from).
    assert _report()["alerts"]["rates"][0]["alerts"] == 1


def test_the_html_page_stands_alone() -> None:
    page = as_html(_report())
    assert page.count('src="data:image/png;base64,') == 4  # two curves, two pain charts
    assert not re.search(r"(src|href)=\"(?!data:)|https?://|url\(|@import", page)
    assert NOTE.replace("\u201c", "&#8220;")[:40] in page or "counts from 1 to 4" in page
