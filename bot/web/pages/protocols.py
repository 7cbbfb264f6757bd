"""The protocols pages (admins): the pathways the teams enrol patients on, each as a reviewer
reads it — questions by day, the schedule's windows, rules by tier with their source,
milestones, response targets and advice — drawn from the same review as
``eras protocol show``; and what changed between two of its stored versions, as
``eras protocol diff`` says it. Read only: protocols change as files, reviewed and validated.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response

from bot.protocols.review import pods, review
from bot.protocols.sources import UnknownProtocol, find_protocol
from bot.protocols.versions import compare, versions
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit
from bot.web.pages.worklist import TIER_NAMES


async def protocols_page(visit: Visit) -> Response:
    pathways = sorted(visit.console.services.catalogue.files.values(), key=lambda p: p.protocol.id)
    return TEMPLATES.TemplateResponse(
        visit.request, "protocols.html", {"who": visit.who, "pathways": pathways}
    )


async def protocol_page(visit: Visit) -> Response:
    files = visit.console.services.catalogue.files
    try:
        loaded = find_protocol(files, visit.request.path_params["protocol_id"])
    except UnknownProtocol:
        raise HTTPException(404) from None
    languages = loaded.protocol.languages
    lang = visit.request.query_params.get("lang", languages[0])
    if lang not in languages:
        lang = languages[0]
    reviewed = review(loaded, lang)
    return TEMPLATES.TemplateResponse(
        visit.request,
        "protocol.html",
        {
            "who": visit.who,
            "review": reviewed,
            "file_name": Path(loaded.source).name,  # never the server's folders
            "check_in_days": pods(loaded.protocol.schedule.check_ins),
            "tier_names": TIER_NAMES,
            "targets": {target.tier: target for target in reviewed.targets},
        },
    )


async def protocol_diff_page(visit: Visit) -> Response:
    """Pick two stored versions of one protocol; see what changed from the first to the
    second. The versions travel in the query: they are no one's data."""
    protocol_id = visit.request.path_params["protocol_id"]
    stored = [row["version"] for row in await versions(visit.db, protocol_id)]
    if not stored and protocol_id not in visit.console.services.catalogue.files:
        raise HTTPException(404)
    query = visit.request.query_params
    old, new = query.get("old", ""), query.get("new", "")
    problem = comparison = None
    if old or new:
        if old not in stored or new not in stored:
            problem = "Choose two of the stored versions below."
        else:
            comparison = await compare(visit.db, protocol_id, old, new)
    return TEMPLATES.TemplateResponse(
        visit.request,
        "protocol_diff.html",
        {
            "who": visit.who,
            "protocol_id": protocol_id,
            "stored": stored,
            "old": old if old in stored else (stored[-2] if len(stored) > 1 else ""),
            "new": new if new in stored else (stored[-1] if stored else ""),
            "problem": problem,
            "comparison": comparison,
        },
    )
