"""GET /health: ok or not for anyone (a load balancer, the world); the report itself, which
says what waits and since when, only for a monitor holding ERAS_HEALTH_TOKEN or a signed-in
admin. Behind a reverse proxy every request comes from the loopback, so the address never
counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.conftest import POD1_9AM, Ward

TOKEN = "health-token-of-the-ward-monitor-0123456789"


@pytest.fixture
async def monitored(ward: Ward) -> Ward:
    ward.console.health_token = TOKEN
    await ward.journey.at(POD1_9AM)  # the dispatcher has ticked: healthy
    return ward


async def test_anyone_hears_ok_and_nothing_more(monitored: Ward) -> None:
    answer = await monitored.client().get("/health")
    assert (answer.status_code, answer.text) == (200, "ok")


async def test_anyone_hears_unhealthy_with_503_and_nothing_more(monitored: Ward) -> None:
    monitored.journey.clock.advance(timedelta(minutes=10))  # no tick since
    answer = await monitored.client().get("/health")
    assert (answer.status_code, answer.text) == (503, "unhealthy")


async def test_the_monitors_token_reads_the_report(monitored: Ward) -> None:
    monitored.journey.clock.advance(timedelta(minutes=10))
    answer = await monitored.client().get("/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 503
    assert answer.json()["problems"] == ["the dispatcher has not ticked recently"]
    assert "outbox_backlog" in answer.json()


@pytest.mark.parametrize(
    "authorization",
    [f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}", TOKEN],
    ids=["longer", "shorter", "empty", "basic", "no-scheme"],
)
async def test_any_other_token_hears_only_ok(monitored: Ward, authorization: str) -> None:
    answer = await monitored.client().get("/health", headers={"Authorization": authorization})
    assert (answer.status_code, answer.text) == (200, "ok")


async def test_without_a_token_set_no_bearer_reads_the_report(monitored: Ward) -> None:
    monitored.console.health_token = None
    answer = await monitored.client().get("/health", headers={"Authorization": "Bearer "})
    assert (answer.status_code, answer.text) == (200, "ok")


async def test_a_signed_in_admin_reads_the_report_and_a_nurse_does_not(monitored: Ward) -> None:
    admin = await (await monitored.signed_in("Ines")).get("/health")
    assert admin.status_code == 200
    assert admin.json()["ok"] is True
    nurse = await (await monitored.signed_in("Ana")).get("/health")
    assert (nurse.status_code, nurse.text) == (200, "ok")


async def test_a_request_from_the_loopback_is_no_one_special(monitored: Ward) -> None:
    answer = await monitored.client().get(
        "/health", headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}
    )
    assert (answer.status_code, answer.text) == (200, "ok")
