"""Which bot processes are alive, as each last said: what ``eras health`` reads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base
from db.types import UTCDateTime


class Heartbeat(Base):
    __tablename__ = "heartbeats"

    # host:pid, as the process names itself in its claims and leases
    owner: Mapped[str] = mapped_column(String(64), primary_key=True)
    mode: Mapped[str] = mapped_column(String(16))  # polling or webhook
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_tick_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
