"""The protocols pages: each pathway as a reviewer reads it, from the same review as
``eras protocol show``; admins only, read only, an unknown pathway a 404."""

from __future__ import annotations

import re
from html import unescape

from bot.protocols.review import review
from tests.web.conftest import Ward

PATHWAY = "spine-miss-lumbar"


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))


async def test_an_admin_sees_every_pathway_enrolment_offers(ward: Ward) -> None:
    files = ward.console.services.catalogue.files
    page = (await (await ward.signed_in("Ines")).get("/protocols")).text
    for protocol_id, loaded in files.items():
        assert f'href="/protocols/{protocol_id}"' in page
        assert loaded.protocol.title in unescape(page)


async def test_a_pathway_shows_its_days_rules_by_tier_milestones_and_targets(ward: Ward) -> None:
    loaded = ward.console.services.catalogue.files[PATHWAY]
    page = (await (await ward.signed_in("Ines")).get(f"/protocols/{PATHWAY}")).text
    text = _text(page)
    reviewed = review(loaded, "en")
    # The grid: one row a question, a mark a check-in, as the protocol's agenda says.
    assert page.count('<th scope="row">') == len(loaded.protocol.items)
    asked = sum(sum(row.asked) for row in reviewed.grid)
    assert page.count('<span class="visually-hidden">asked</span>') == asked
    photo = page.split('<span class="rule">wound_photo</span>', 1)[1].split("</tr>", 1)[0]
    marks = re.findall(r'<span aria-hidden="true">(.)</span>', photo)
    days = [column.label for column, mark in zip(reviewed.columns, marks, strict=True)]
    assert [day for day, mark in zip(days, marks, strict=True) if mark == "●"] == [
        "3",
        "7",
        "10",
        "14",
    ]  # a wound photo on POD 3, 7, 10 and 14 only
    assert "Check-ins at 09:00 (patient's local time) on POD 1–7, 10, 14, 21, 30" in text
    # Rules under their tier, most urgent first, each with its condition and source.
    headings = re.findall(r'<h3><span class="tier tier-(\w+)">', page)
    assert headings == [tier.value for tier, _ in reviewed.rules]
    assert headings[0] == "red_emergency"
    for rule in loaded.protocol.rules:
        assert f'<span class="rule">{rule.id}</span>' in page
        assert rule.reason["en"] in unescape(page)
    local_rules = sum(rule.local for _, rules in reviewed.rules for rule in rules)
    assert page.count('<td><span class="source local">local</span></td>') >= local_rules
    for milestone in loaded.protocol.milestones:
        assert f'<span class="rule">{milestone.id}</span>' in page
    assert "acknowledge within" in text


async def test_a_pathway_reads_in_each_of_its_languages(ward: Ward) -> None:
    loaded = ward.console.services.catalogue.files[PATHWAY]
    browser = await ward.signed_in("Ines")
    spanish = unescape((await browser.get(f"/protocols/{PATHWAY}?lang=es")).text)
    assert loaded.protocol.rules[0].reason["es"] in spanish
    unknown = unescape((await browser.get(f"/protocols/{PATHWAY}?lang=xx")).text)
    assert loaded.protocol.rules[0].reason["en"] in unknown  # the first language instead


async def test_an_unknown_pathway_is_a_404_and_a_nurse_is_refused(ward: Ward) -> None:
    admin = await ward.signed_in("Ines")
    assert (await admin.get("/protocols/no-such-pathway")).status_code == 404
    nurse = await ward.signed_in("Ana")
    answer = await nurse.get(f"/protocols/{PATHWAY}")
    assert answer.status_code == 403 and "This page is for admins." in answer.text
