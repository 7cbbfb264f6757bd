"""The clinic in pure Python: protocols, schedules, the check-in conversation, triage.

Nothing here reads the clock, files, the database, the network or Telegram: callers pass in
protocol text, dates, time zones and answers, and get values back. The public API:

Protocols (file format in docs/PROTOCOLS.md)
    parse_protocol(text, source) -> Protocol        raises ProtocolInvalid(.issues: Issue…)
    diff_protocols(old, new) -> list[str]           changes in words, for sign-off
    to_fhir_questionnaire(protocol, language) -> dict
    protocol_json_schema() -> dict

Planning a patient's check-ins (for the scheduler that materialises rows)
    plan_check_ins(protocol, surgery_date, discharge_date, time_zone) -> (PlannedCheckIn…)

The check-in conversation (for the bot; ``CheckInState`` is plain data to store between
messages, where the check-in stands)
    start(protocol, pod, kind, history, last_check_in) -> CheckInState   (with the rules that
        fire before any answer, the day a question's {since} names, the items history leaves out)
    next_question(protocol, state, language) -> Question | None   (None: complete)
    take_reply(protocol, state, reply, language, history) -> ReplyResult
        ReplyResult: new state, reask hint, assessment so far, new_findings, next_question
    parse_reply(item, raw, language, wording=None) -> Accepted | Skipped | ReAsk

Scoring (for recording answers and raising alerts)
    score(protocol, pod, answers, history, kind) -> Assessment
    score_missed(protocol, pod, history, kind) -> Assessment   (when a check-in goes unanswered)
        Assessment: tier, findings, milestones, recovery_score
        Finding: rule, tier, items, reason, answers, pod (checkin_id once an alert keeps it),
            values (the answers with their units: "38.5 °C", "7/10", "4 days");
            to_json() / Finding.from_json(data)
    answers_problems(protocol, answers) -> list[str];  history_from_json(protocol, data)

What the patient reads
    advice_text(protocol, tier, language, emergency_number) -> str
    reply_texts(protocol, tier, rules, language, emergency_number) -> tuple[str, ...]
        (the tier's advice, each finding's self-care line, the safety net for amber/red_urgent)
    education_texts(protocol, pod, language) -> tuple[str, ...]
"""

from flows.advice import advice_text, education_texts, reply_texts
from flows.agenda import CheckInKind
from flows.answers import AnswerValue, PastCheckIn, answers_problems, history_from_json
from flows.checks import protocol_warnings
from flows.conversation import (
    CheckInState,
    Choice,
    Question,
    ReplyResult,
    next_question,
    start,
    take_reply,
)
from flows.diff import diff_protocols
from flows.editor_schema import protocol_json_schema
from flows.fhir import to_fhir_questionnaire
from flows.findings import Finding
from flows.issues import Issue, ProtocolInvalid
from flows.loading import parse_protocol
from flows.milestones import MilestoneStatus, Progress
from flows.planner import PlannedCheckIn, plan_check_ins
from flows.replies import Accepted, Photo, ReAsk, Skipped, parse_reply
from flows.schema import Protocol
from flows.tiers import Tier
from flows.triage import Assessment, score, score_missed

__all__ = [
    "Accepted",
    "AnswerValue",
    "Assessment",
    "CheckInKind",
    "CheckInState",
    "Choice",
    "Finding",
    "Issue",
    "MilestoneStatus",
    "PastCheckIn",
    "Photo",
    "PlannedCheckIn",
    "Progress",
    "Protocol",
    "ProtocolInvalid",
    "Question",
    "ReAsk",
    "ReplyResult",
    "Skipped",
    "Tier",
    "advice_text",
    "answers_problems",
    "diff_protocols",
    "education_texts",
    "history_from_json",
    "next_question",
    "parse_protocol",
    "parse_reply",
    "plan_check_ins",
    "protocol_json_schema",
    "protocol_warnings",
    "reply_texts",
    "score",
    "score_missed",
    "start",
    "take_reply",
    "to_fhir_questionnaire",
]
