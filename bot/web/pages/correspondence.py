"""The patient page's messages and notes: the list, and the forms "Message to patient" and
"Note for the record", which call the same use cases as the Telegram buttons."""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response

from bot.alerts.actions import ConsoleUser, Notice
from bot.correspondence.authority import REFUSED
from bot.correspondence.notes import NOTE_LIMIT, add_note
from bot.correspondence.record import correspondence
from bot.correspondence.to_patient import WORDS_LIMIT, write_to_patient
from bot.web.console import TEMPLATES
from bot.web.http.visits import Visit

ENTRY_NAMES = {
    "from_patient": "From the patient",
    "to_patient": "To the patient",
    "note": "Note (not sent to the patient)",
}


async def on_the_page(visit: Visit) -> dict[str, Any]:
    """What the patient page shows of the messages and notes (it audits the view)."""
    episode_id = visit.request.path_params["episode_id"]
    return {
        "episode_id": episode_id,
        "correspondence": await correspondence(visit.db, episode_id),
        "entry_names": ENTRY_NAMES,
        "words_limit": WORDS_LIMIT,
        "note_limit": NOTE_LIMIT,
    }


async def message_to_patient(visit: Visit) -> Response:
    episode_id = visit.request.path_params["episode_id"]
    who = ConsoleUser(visit.who.staff_id)
    notice = await write_to_patient(visit.db, episode_id, who, visit.field("words"), visit.now)
    visit.wrote_messages = notice.granted
    return _answer(visit, notice, episode_id)


async def note_on_patient(visit: Visit) -> Response:
    episode_id = visit.request.path_params["episode_id"]
    who = ConsoleUser(visit.who.staff_id)
    notice = await add_note(visit.db, episode_id, who, visit.field("note"), visit.now)
    return _answer(visit, notice, episode_id)


def _answer(visit: Visit, notice: Notice, episode_id: int) -> Response:
    """Back to the patient's page; a refusal is a page saying why (answered, not raised, so
    that its audit entry is committed)."""
    if notice.granted:
        return RedirectResponse(f"/patients/{episode_id}#messages", status_code=303)
    status = 403 if notice.text == REFUSED else 400
    return TEMPLATES.TemplateResponse(
        visit.request, "problem.html", {"status": status, "detail": notice.text}, status_code=status
    )
