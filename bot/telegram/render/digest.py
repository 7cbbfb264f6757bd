"""The care team's digest as one Telegram message.

Counts always; references after them, as many as fit: a big cohort shortens the lists
(down to counts only) rather than split the digest or have Telegram refuse it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.telegram.render.team import TIER_LABELS
from flows import Tier
from flows.digest import Digest, OverdueAlert

# Telegram's limit, counted in UTF-16 code units (emoji count twice).
MAX_MESSAGE = 4096
# References listed per line, tried in turn until the digest fits.
LIST_LENGTHS = (20, 8, 3, 0)


def digest_text(digest: Digest, heading: str = "Digest") -> str:
    for listed in LIST_LENGTHS[:-1]:
        text = _render(digest, heading, listed)
        if len(text.encode("utf-16-le")) // 2 <= MAX_MESSAGE:
            return text
    return _render(digest, heading, LIST_LENGTHS[-1])  # counts only: a dozen short lines


def _render(digest: Digest, heading: str, listed: int) -> str:
    when = digest.local_time.strftime("%a %d %b %Y, %H:%M")
    lines = [
        f"{heading} · {digest.team} · {when} ({digest.local_time.tzinfo})",
        f"Patients in follow-up: {digest.patients}",
        "",
        "By tier (latest check-in, or open alert if higher):",
    ]
    for tier, refs in digest.by_tier.items():
        shown = () if tier is Tier.GREEN else refs  # on track: nothing to do, no names needed
        lines.append(_line(TIER_LABELS[tier.value], len(refs), shown, listed))
    lines.append(_line("⚪ No check-in yet", len(digest.no_tier_yet), digest.no_tier_yet, listed))
    lines.append("")
    lines.append(
        _line("Missed check-ins, last 24 h", len(digest.missed), _counted(digest.missed), listed)
    )
    behind = [f"{ref} ({', '.join(ids)})" for ref, ids in digest.behind]
    lines.append(_line("Behind a recovery milestone", len(behind), behind, listed))
    overdue = digest.overdue_alerts
    lines.append(_line("Alerts past their acknowledgement target", len(overdue), (), listed))
    lines.extend(f"• {_alert(a)}" for a in overdue[:listed])
    if len(overdue) > listed:
        lines.append(f"• … and {len(overdue) - listed} more (/alerts)")
    lines.append(_line("Paused", len(digest.paused), digest.paused, listed))
    lines.append(_line("On hold (team)", len(digest.on_hold), digest.on_hold, listed))
    lines.append(_line("Unreachable", len(digest.unreachable), digest.unreachable, listed))
    return "\n".join(lines)


def _line(label: str, count: int, refs: Sequence[str], listed: int) -> str:
    if not refs or not listed:
        return f"{label}: {count}"
    more = f", … +{len(refs) - listed}" if len(refs) > listed else ""
    return f"{label}: {count} — {', '.join(refs[:listed])}{more}"


def _counted(refs: Sequence[str]) -> list[str]:
    """Each reference once, with how many times when more than once."""
    return [ref if n == 1 else f"{ref} ×{n}" for ref, n in Counter(refs).items()]


def _alert(alert: OverdueAlert) -> str:
    target = alert.age.target_minutes
    return (
        f"#{alert.alert_id} {alert.tier.value} · {alert.patient_ref} · "
        f"{_duration(alert.age.minutes)} (target {_duration(target or 0)}"
        + (" of daytime)" if alert.age.daytime else ")")
    )


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")
