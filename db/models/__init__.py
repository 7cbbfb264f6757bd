"""All models, imported here so that ``Base.metadata`` knows every table."""

from db.models.alerts import Alert, AlertEvent
from db.models.audit import AuditCheckpoint, AuditEntry
from db.models.base import Base
from db.models.care_team import EscalationStep, Staff, Team, TeamMember
from db.models.checkins import (
    ANSWERED_BY_CAREGIVER,
    ANSWERED_BY_PATIENT,
    WINDOW_OPEN,
    Answer,
    CheckIn,
)
from db.models.console import ConsoleSession, SignInLink
from db.models.correspondence import CareNote, Content, Direction, PatientMessage
from db.models.heartbeats import Heartbeat
from db.models.messaging import InboxUpdate, OutboxMessage, StrangerTally
from db.models.patients import Caregiver, Episode, LinkFailure, LinkToken, Patient
from db.models.protocols import ProtocolVersion
from db.models.states import (
    OPEN_ALERTS,
    AlertStatus,
    CheckInStatus,
    EpisodeStatus,
    OutboxStatus,
    StaffRole,
    TokenPurpose,
)

__all__ = [
    "ANSWERED_BY_CAREGIVER",
    "ANSWERED_BY_PATIENT",
    "OPEN_ALERTS",
    "WINDOW_OPEN",
    "Alert",
    "AlertEvent",
    "AlertStatus",
    "Answer",
    "AuditCheckpoint",
    "AuditEntry",
    "Base",
    "CareNote",
    "Caregiver",
    "CheckIn",
    "CheckInStatus",
    "ConsoleSession",
    "Content",
    "Direction",
    "Episode",
    "EpisodeStatus",
    "EscalationStep",
    "Heartbeat",
    "InboxUpdate",
    "LinkFailure",
    "LinkToken",
    "OutboxMessage",
    "OutboxStatus",
    "Patient",
    "PatientMessage",
    "ProtocolVersion",
    "SignInLink",
    "Staff",
    "StaffRole",
    "StrangerTally",
    "Team",
    "TeamMember",
    "TokenPurpose",
]
