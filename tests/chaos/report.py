"""The run's figures in words, for a person reading a terminal."""

from __future__ import annotations

from tests.chaos.harness import ChaosResult


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


def render(result: ChaosResult) -> str:
    config, f, bot = result.config, result.figures, result.bot
    c, a, al, m, tg = f.checkins, f.answers, f.alerts, f.messages, f.telegram
    lines = [
        f"Chaos run: {config.patients} patients, {bot.kills} kills (bot started {bot.starts} "
        f"times, died by itself {len(bot.crashes)}), fault rate {config.fault_rate:.0%}, "
        f"seed {config.seed}, {result.seconds:.0f}s"
        f" ({', '.join(f'{k} {v:.0f}s' for k, v in result.phases.items())})",
        f"Check-ins  due {c.due} · sent {c.sent} (late wording {c.sent_late}) · completed "
        f"{c.completed} · missed {c.missed_unanswered + c.missed_not_sent} (not answered "
        f"{c.missed_unanswered}, never sent and the team told {c.missed_not_sent}) · "
        f"cancelled {c.cancelled} · LOST {c.lost} · stranded {c.stranded} (after a message "
        f"left uncertain {c.stranded_after_uncertain})",
        f"Answers    given {a.given} (and {a.given_again} given again on purpose) · recorded "
        f"{a.recorded} (after the window {a.recorded_late}) · LOST {a.lost} · "
        f"double-counted {a.double_counted}",
        f"Alerts     raised {al.raised} · card delivered {al.delivered} · expected {al.expected}"
        f" · LOST {al.lost}",
        f"Messages   recorded {m.recorded} · delivered {m.delivered} · LOST {m.lost} · "
        f"left uncertain after the last doubtful send and not arrived {m.left_uncertain} · "
        f"duplicates {m.duplicates} (after an uncertain send {m.duplicates_after_uncertain}; "
        f"uncertain sends {m.uncertain_sends})",
        f"Telegram   calls {tg.calls} · faults injected {sum(tg.faults_injected.values())} "
        f"({_counts(tg.faults_injected)}) · 429 answers {tg.answered_429} · requests before "
        f"retry_after ran out {tg.before_retry_after}",
        f"Inbox      unprocessed {f.inbox_unprocessed} · processing failed {f.inbox_failed}",
    ]
    examples = [
        *c.lost_ids[:10],
        *c.stranded_ids[:10],
        *a.double_counted_examples,
        *al.lost_examples,
        *m.lost_examples,
        *m.duplicate_examples,
        *tg.before_retry_after_examples,
    ]
    if examples:
        lines.append("Examples   " + "; ".join(str(e) for e in examples))
    failures = result.failures()
    lines.append("Result     " + ("FAIL: " + "; ".join(failures) if failures else "nothing lost"))
    lines.append(f"Logs       {result.log_dir}")
    if result.kept_database is not None:
        lines.append(f"Database   kept: {result.kept_database}")
    return "\n".join(lines)
