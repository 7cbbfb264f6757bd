"""The console's route table: every URL, who may use it, and what answers it.

The table is the one place a page is added; the tests build their authorisation matrix
from it (every route × anonymous, another team's nurse, the team's nurse, an admin).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

# Where the record a path names belongs: its team's id, or None when there is no such record.
TeamOf = Callable[[AsyncSession, Request], Awaitable[int | None]]


class Access(StrEnum):
    ANYONE = "anyone"  # /health, the sign-in pages (and, outside the table, the static
    # files and the webhook, which Telegram's secret header guards)
    STAFF = "staff"  # signed-in staff; a record of another team is a 404
    NURSE_OR_ADMIN = "nurse_or_admin"  # enrolment: nurses and admins, as the issue gives it
    ADMIN = "admin"  # signed-in admins only


@dataclass(frozen=True)
class Page:
    """One route. ``endpoint`` takes the request (ANYONE) or a ``Visit`` of signed-in staff
    (STAFF, ADMIN)."""

    method: str
    path: str
    endpoint: Callable[[Any], Awaitable[Response]]
    access: Access
    # The record the path names belongs to a team: staff of other teams get 404.
    team_of: TeamOf | None = None

    @property
    def name(self) -> str:
        return f"{self.method.lower()}_{self.endpoint.__name__}"
