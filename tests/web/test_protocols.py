"""The protocols pages: each pathway as a reviewer reads it, from the same review as
``eras protocol show``; admins only, read only, an unknown pathway a 404."""

from __future__ import annotations

import hashlib
import re
from html import unescape

import yaml

from bot.protocols.review import review
from db.protocol_store import register
from flows import diff_protocols, parse_protocol
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


async def store_changed_version(ward: Ward) -> list[str]:
    """Versions 2 (the shipped file) and 9 (a rule gone, a milestone later, a check-in day
    more) of the pathway, stored; the changes `eras protocol diff` lists between them."""
    loaded = ward.console.services.catalogue.files[PATHWAY]
    data = yaml.safe_load(loaded.text)
    data["version"] = "9"
    data["rules"].pop()
    data["milestones"][0]["from_pod"] += 1
    data["schedule"]["check_ins"].insert(-1, 28)
    data["schedule"]["questions"][0]["pods"].append(28)  # red flags, bladder, wound
    text = yaml.safe_dump(data, allow_unicode=True)
    now = ward.journey.clock.now()
    async with ward.journey.runtime.sessions.begin() as session:
        await ward.console.services.catalogue.current(session, PATHWAY, now)
        await register(
            session,
            protocol_id=PATHWAY,
            version="9",
            content_hash=hashlib.sha256(text.encode()).hexdigest(),
            source_name="changed.yaml",
            content=text,
            now=now,
        )
    return diff_protocols(loaded.protocol, parse_protocol(text, "changed.yaml"))


async def test_an_admin_sees_what_changed_between_two_stored_versions(ward: Ward) -> None:
    changes = await store_changed_version(ward)
    admin = await ward.signed_in("Ines")
    picker = (await admin.get(f"/protocols/{PATHWAY}/diff")).text
    assert "<option selected>2</option>" in picker and "<option selected>9</option>" in picker
    page = (await admin.get(f"/protocols/{PATHWAY}/diff", params={"old": "2", "new": "9"})).text
    text = _text(page)
    assert f"From 2 to 9: {len(changes)} changes" in text
    listed = re.findall(r'<span class="rule">(.*?)</span>', page)
    assert sorted(unescape(change) for change in listed) == sorted(changes)  # the same diff
    sections = re.findall(r"<h3>(.*?)</h3>", page)
    assert sections == ["Schedule", "Rules", "Milestones", "Everything else"]
    assert "removed rule 'patient_concern' removed" in text
    assert "added schedule: POD 28 check-in added" in text
    [milestone] = [change for change in changes if change.startswith("milestone")]
    assert "1 → 2" in milestone and f"changed {milestone}" in text
    back = _text(
        (await admin.get(f"/protocols/{PATHWAY}/diff", params={"old": "9", "new": "2"})).text
    )
    assert "added rule 'patient_concern' added" in back
    same = _text(
        (await admin.get(f"/protocols/{PATHWAY}/diff", params={"old": "2", "new": "2"})).text
    )
    assert "No changes: the two versions say the same." in same


async def test_a_version_not_stored_is_said_and_an_unknown_protocol_is_a_404(ward: Ward) -> None:
    await store_changed_version(ward)
    admin = await ward.signed_in("Ines")
    page = await admin.get(f"/protocols/{PATHWAY}/diff", params={"old": "2", "new": "<b>7"})
    assert page.status_code == 200 and "Choose two of the stored versions below." in page.text
    assert "<b>7" not in page.text and "change" not in _text(page.text).split("below.")[-1]
    assert (await admin.get("/protocols/no-such-pathway/diff")).status_code == 404


async def test_with_one_stored_version_there_is_nothing_to_compare(ward: Ward) -> None:
    async with ward.journey.runtime.sessions.begin() as session:
        await ward.console.services.catalogue.current(session, PATHWAY, ward.journey.clock.now())
    page = (await (await ward.signed_in("Ines")).get(f"/protocols/{PATHWAY}/diff")).text
    assert "Only version 2 is stored: there is nothing to compare." in _text(page)
    assert "<select" not in page


async def test_a_nurse_may_not_compare_versions(ward: Ward) -> None:
    answer = await (await ward.signed_in("Ana")).get(f"/protocols/{PATHWAY}/diff")
    assert answer.status_code == 403
