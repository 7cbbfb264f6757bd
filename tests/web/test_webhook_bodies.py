"""What the webhook endpoint makes of a body that is JSON only to a lenient parser: deep
nesting, NaN and Infinity are refused with 400 and store nothing (never a 500)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.inbox.webhook import SECRET_HEADER, WebhookInbox
from db.models import InboxUpdate
from tests.web.conftest import Ward

SECRET = "s3cret-for-the-ward-0123456789"
PATH = "/telegram/updates"


@pytest.fixture
def webhook_ward(ward: Ward) -> Ward:
    journey = ward.journey
    ward.console.webhook = WebhookInbox(
        journey.runtime.sessions, journey.clock, SECRET, lambda: None
    )
    ward.console.webhook_path = PATH
    return ward


async def _stored(ward: Ward) -> int:
    async with ward.journey.runtime.sessions() as session:
        return int(await session.scalar(select(func.count(InboxUpdate.update_id))) or 0)


def _nested(levels: int) -> bytes:
    return b'{"update_id": 7, "x": ' + b"[" * levels + b"]" * levels + b"}"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (_nested(100_000), "nested too deeply"),  # Python's parser: RecursionError
        (_nested(40), "nested too deeply"),  # parsed, but past the bound
        (b'{"update_id": 7, "message": {"location": {"latitude": NaN}}}', "NaN"),
        (b'{"update_id": 7, "message": {"location": {"latitude": -Infinity}}}', "Infinity"),
        (b'{"update_id": 7, "message": {"location": {"latitude": 1e999}}}', "too large"),
        (b'{"update_id": 7,', "not JSON"),
    ],
    ids=["nested-100000", "nested-40", "nan", "infinity", "overflow", "truncated"],
)
async def test_a_body_that_is_not_plain_json_is_refused_with_400_and_stores_nothing(
    webhook_ward: Ward, body: bytes, reason: str
) -> None:
    before = await _stored(webhook_ward)
    answer = await webhook_ward.client().post(PATH, content=body, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 400
    assert reason in answer.text
    assert await _stored(webhook_ward) == before


async def test_an_update_nested_as_telegram_nests_them_is_stored(webhook_ward: Ward) -> None:
    before = await _stored(webhook_ward)
    body = (
        b'{"update_id": 987654, "callback_query": {"id": "1", "data": "x", "message": '
        b'{"message_id": 5, "date": 0, "chat": {"id": 1, "type": "private"}, '
        b'"location": {"latitude": 40.4, "longitude": -3.7}, "reply_markup": '
        b'{"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}}}}'
    )
    answer = await webhook_ward.client().post(PATH, content=body, headers={SECRET_HEADER: SECRET})
    assert answer.status_code == 200
    assert await _stored(webhook_ward) == before + 1
