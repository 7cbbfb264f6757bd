"""The roster: every patient of my teams, whatever their state, with where each stands;
searched by a POST (never a URL), sorted by each column, paged."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.patients.records import roster
from bot.patients.records.roster import PAGE_SIZE
from db.models import CheckIn, CheckInStatus, Episode, EpisodeStatus
from tests.fixtures.journey import buttons
from tests.web.conftest import POD1_9AM, Ward, csrf_of

MADRID = ZoneInfo("Europe/Madrid")


def refs(page: str) -> list[str]:
    return re.findall(r"<strong>(P-\d+)</strong>", page)


async def test_the_roster_shows_each_patient_with_where_they_stand(ward: Ward) -> None:
    journey = ward.journey
    await ward.red_flag("Maria")  # P-001: answering on POD 1, an urgent alert open
    await journey.enrol("P-002", display_name="Lucia")  # enrolled, never linked
    browser = await ward.signed_in("Ana")
    page = (await browser.get("/patients")).text
    assert refs(page) == ["P-001", "P-002"]
    maria, lucia = page.split("<strong>P-001</strong>")[1].split("<strong>P-002</strong>")
    assert "Active" in maria and "Urgent" in maria
    assert maria.count("—") == 3  # her check-in is not finished: nothing answered in full yet
    assert "Enrolled, not linked" in lucia and "link works until" in lucia
    assert lucia.count("—") == 4  # no answer, no rate, no score, no alert


async def test_another_teams_nurse_sees_none_of_its_patients(ward: Ward) -> None:
    await ward.red_flag("Maria")
    browser = await ward.signed_in("Olga")
    page = (await browser.get("/patients")).text
    assert refs(page) == [] and "Your teams have no patients yet." in page
    searched = await browser.post("/patients", data={"csrf": csrf_of(page), "search": "Maria"})
    assert refs(searched.text) == []


async def test_a_search_by_name_or_reference_is_posted_and_never_in_a_url(ward: Ward) -> None:
    journey = ward.journey
    for n, name in enumerate(("Maria", "Lucia", "Mario"), start=1):
        await journey.enrol(f"P-{n:03d}", display_name=name)
    browser = await ward.signed_in("Ana")
    csrf = csrf_of((await browser.get("/patients")).text)
    by_name = await browser.post("/patients", data={"csrf": csrf, "search": "mari"})
    assert by_name.status_code == 200 and refs(by_name.text) == ["P-001", "P-003"]
    assert "mari" not in " ".join(re.findall(r'href="([^"]*)"', by_name.text))
    by_ref = await browser.post("/patients", data={"csrf": csrf, "search": "p-002"})
    assert refs(by_ref.text) == ["P-002"]
    nothing = await browser.post("/patients", data={"csrf": csrf, "search": "100%_"})
    assert refs(nothing.text) == [] and "No patient of your teams matches" in nothing.text
    # Sorting a search posts its terms again.
    ordered = await browser.post(
        "/patients", data={"csrf": csrf, "search": "mari", "view": "ref desc 1"}
    )
    assert refs(ordered.text) == ["P-003", "P-001"]
    forged = await browser.post("/patients", data={"csrf": "forged", "search": "mari"})
    assert forged.status_code == 403


async def test_each_column_sorts_the_roster(ward: Ward) -> None:
    journey = ward.journey
    for n in range(1, 4):
        await journey.enrol(f"P-{n:03d}", display_name=f"Patient {n}")
    async with journey.runtime.sessions.begin() as session:
        for episode_id, rate, score in ((1, 40, 70), (2, 90, None), (3, 60, 20)):
            await session.execute(
                update(Episode)
                .where(Episode.id == episode_id)
                .values(response_rate=rate, recovery_score=score)
            )
    browser = await ward.signed_in("Ana")

    async def order(sort: str, direction: str) -> list[str]:
        return refs((await browser.get(f"/patients?sort={sort}&order={direction}")).text)

    assert await order("response_rate", "desc") == ["P-002", "P-003", "P-001"]
    assert await order("response_rate", "asc") == ["P-001", "P-003", "P-002"]
    assert await order("recovery_score", "asc") == ["P-003", "P-001", "P-002"]  # none judged: last
    assert await order("recovery_score", "desc") == ["P-001", "P-003", "P-002"]
    assert await order("ref", "desc") == ["P-003", "P-002", "P-001"]
    assert await order("nonsense", "asc") == ["P-001", "P-002", "P-003"]
    page = (await browser.get("/patients?sort=response_rate&order=desc")).text
    assert 'aria-sort="descending"' in page


def link(page: str, label: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" aria-label="{label}">', page)
    return None if found is None else found.group(1).replace("&amp;", "&")


async def test_the_roster_is_paged_and_a_paused_patient_shows_as_paused(ward: Ward) -> None:
    journey = ward.journey
    for n in range(1, PAGE_SIZE + 3):
        await journey.enrol(f"P-{n:03d}")
    async with journey.runtime.sessions.begin() as session:
        await session.execute(
            update(Episode).where(Episode.id == 1).values(status=EpisodeStatus.PAUSED)
        )
    browser = await ward.signed_in("Ana")
    first = (await browser.get("/patients")).text
    assert len(refs(first)) == PAGE_SIZE and "Page 1 of 2" in first
    assert link(first, "Previous page") is None
    assert "Paused" in first.split("<strong>P-001</strong>")[1].split("</tr>")[0]
    following = link(first, "Next page")
    assert following is not None and "P-0" not in following  # an episode's id, no reference
    second = (await browser.get(following)).text
    assert refs(second) == [f"P-{n:03d}" for n in (PAGE_SIZE + 1, PAGE_SIZE + 2)]
    assert "Page 2 of 2" in second and link(second, "Next page") is None
    back = link(second, "Previous page")
    assert back is not None and refs((await browser.get(back)).text) == refs(first)
    # A place that is not on the list (gone, or another team's): the first page.
    unknown = (await browser.get("/patients?page=2&after=99999")).text
    assert refs(unknown) == refs(first) and "Page 1 of 2" in unknown


async def test_paging_through_a_sort_keeps_those_without_a_value_last(ward: Ward) -> None:
    journey = ward.journey
    for n in range(1, PAGE_SIZE + 6):
        await journey.enrol(f"P-{n:03d}")
    async with journey.runtime.sessions.begin() as session:
        # Half have a response rate (some equal), the rest none yet.
        for episode_id in range(1, PAGE_SIZE + 6, 2):
            await session.execute(
                update(Episode)
                .where(Episode.id == episode_id)
                .values(response_rate=episode_id % 7 * 10)
            )
        rates = dict(
            (await session.execute(select(Episode.id, Episode.response_rate))).tuples().all()
        )
    browser = await ward.signed_in("Ana")
    for order, descending in (("desc", True), ("asc", False)):
        expected = sorted(
            rates,
            key=lambda e: (
                rates[e] is None,
                0 if rates[e] is None else -rates[e] if descending else rates[e],
                -e if descending else e,
            ),
        )
        pages = [(await browser.get(f"/patients?sort=response_rate&order={order}")).text]
        while (following := link(pages[-1], "Next page")) is not None:
            pages.append((await browser.get(following)).text)
        shown = [ref for page in pages for ref in refs(page)]
        assert shown == [f"P-{e:03d}" for e in expected]
        assert len(pages) == 2
        back = link(pages[-1], "Previous page")
        assert back is not None and refs((await browser.get(back)).text) == refs(pages[0])


async def test_paging_through_the_open_alerts_order(ward: Ward) -> None:
    journey = ward.journey
    await ward.red_flag("Maria")  # P-001: an urgent alert open
    for n in range(2, PAGE_SIZE + 3):
        await journey.enrol(f"P-{n:03d}")
    browser = await ward.signed_in("Ana")
    first = (await browser.get("/patients?sort=alert&order=desc")).text
    assert refs(first)[:2] == ["P-001", f"P-{PAGE_SIZE + 2:03d}"]
    following = link(first, "Next page")
    assert following is not None
    assert refs((await browser.get(following)).text) == ["P-003", "P-002"]
    ascending = (await browser.get("/patients?sort=alert&order=asc")).text
    following = link(ascending, "Next page")
    assert following is not None
    assert refs((await browser.get(following)).text) == [f"P-{PAGE_SIZE + 2:03d}", "P-001"]


async def test_a_missed_check_in_lowers_the_response_rate(ward: Ward) -> None:
    journey = ward.journey
    await journey.enrolled_patient("Maria", ref="P-001")
    await journey.at(POD1_9AM + timedelta(days=2))  # POD 1 and 2 came and went unanswered
    async with journey.runtime.sessions() as session:
        episode = await session.scalar(select(Episode))
    assert episode is not None and episode.response_rate == 0
    assert episode.last_answered_at is None


async def test_a_check_in_answered_in_full_shows_its_time_rate_and_score(ward: Ward) -> None:
    journey = ward.journey
    maria, _ = await journey.enrolled_patient("Maria", ref="P-001", display_name="Maria")
    await journey.at(POD1_9AM)
    while journey.question_id(maria) is not None:
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    await journey.type(maria, "1")  # days since the last bowel movement
    while journey.question_id(maria) is not None:
        await journey.press(maria, buttons(journey.last(maria))[0][1])
    async with journey.runtime.sessions() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.pod == 1))
        episode = await session.scalar(select(Episode))
    assert checkin is not None and checkin.status is CheckInStatus.COMPLETED
    assert episode is not None and episode.response_rate == 100
    assert episode.last_answered_at == checkin.completed_at
    assert episode.recovery_score == checkin.recovery_score is not None  # POD 1 judges some
    browser = await ward.signed_in("Ana")
    row = (await browser.get("/patients")).text.split("<strong>P-001</strong>")[1]
    assert "100 %" in row and f"{POD1_9AM.astimezone(MADRID):%H:%M}" in row


async def test_a_sort_the_page_has_no_column_for_falls_back_to_the_reference(ward: Ward) -> None:
    journey = ward.journey
    for n, name in enumerate(("Zoe", "Ana"), start=1):
        await journey.enrol(f"P-{n:03d}", display_name=name)
    browser = await ward.signed_in("Ana")
    for sort in ("name", "nonsense"):
        answer = await browser.get(f"/patients?sort={sort}&order=asc")
        assert answer.status_code == 200
        assert refs(answer.text) == ["P-001", "P-002"]


async def test_a_team_beyond_what_is_counted_has_more_than_that_many(
    ward: Ward, monkeypatch: pytest.MonkeyPatch
) -> None:
    journey = ward.journey
    for n in range(1, PAGE_SIZE + 3):
        await journey.enrol(f"P-{n:03d}", display_name="Maria" if n < 4 else None)
    browser = await ward.signed_in("Ana")
    counted = (await browser.get("/patients")).text
    assert f"{PAGE_SIZE + 2} patients" in counted and "Page 1 of 2" in counted
    monkeypatch.setattr(roster, "COUNTED", PAGE_SIZE // 2)
    page = (await browser.get("/patients")).text
    assert f"More than {PAGE_SIZE // 2} patients" in page and "Page 1 of more than 1" in page
    assert len(refs(page)) == PAGE_SIZE  # the pages themselves are whole
    following = link(page, "Next page")
    assert following is not None and len(refs((await browser.get(following)).text)) == 2
    monkeypatch.setattr(roster, "COUNTED", 2)
    searched = await browser.post("/patients", data={"csrf": csrf_of(page), "search": "maria"})
    assert "More than 2 patients" in searched.text and len(refs(searched.text)) == 3


async def test_paging_through_a_search_posts_its_terms_and_the_place_again(ward: Ward) -> None:
    journey = ward.journey
    for n in range(1, PAGE_SIZE + 3):
        await journey.enrol(f"P-{n:03d}", display_name=f"Maria {n}")
    await journey.enrol("P-999", display_name="Lucia")
    browser = await ward.signed_in("Ana")
    csrf = csrf_of((await browser.get("/patients")).text)
    first = await browser.post("/patients", data={"csrf": csrf, "search": "maria"})
    assert f"{PAGE_SIZE + 2} patients" in first.text and len(refs(first.text)) == PAGE_SIZE
    found = re.search(r'name="view" value="(ref asc 2 after \d+)"', first.text)
    assert found is not None  # the button posts the terms with the place, no link
    second = await browser.post(
        "/patients", data={"csrf": csrf, "search": "maria", "view": found.group(1)}
    )
    assert refs(second.text) == [f"P-{n:03d}" for n in (PAGE_SIZE + 1, PAGE_SIZE + 2)]
    assert "Page 2 of 2" in second.text
