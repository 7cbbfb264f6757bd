"""Cross-checks of a protocol that the file format alone cannot express.

Each check yields ``Problem(path, message)``; the loader turns paths into line numbers.
"""

from __future__ import annotations

from flows.checks.items import check_groups, check_items
from flows.checks.plan import (
    check_education,
    check_escalation,
    check_milestones,
    check_rules,
    check_schedule,
)
from flows.checks.texts import check_texts
from flows.issues import Problem
from flows.schema.protocol import Protocol

_CHECKS = (
    check_items,
    check_groups,
    check_texts,
    check_schedule,
    check_rules,
    check_milestones,
    check_education,
    check_escalation,
)


def check_protocol(protocol: Protocol) -> list[Problem]:
    """Every problem found; an empty list means the protocol can be used."""
    return [problem for check in _CHECKS for problem in check(protocol)]


def protocol_warnings(protocol: Protocol) -> list[str]:
    """What a reviewer should look at although the protocol can be used: today, milestones
    that do not say where their value comes from."""
    return [
        f"milestone {milestone.id!r} has neither citation nor basis: say where its value "
        "comes from (citation: ... or basis: local-default)"
        for milestone in protocol.milestones
        if milestone.citation is None and milestone.basis is None
    ]
