"""Performance benchmarks: the real bot against the sandbox, on SQLite and PostgreSQL.

``make bench`` (``python -m benchmarks``, from a checkout) runs them and judges the figures
against the goals in ``docs/BENCHMARKS.md``:

- ``dispatch``: check-ins that fall due at the same minute, with and without Telegram's
  limits;
- ``alerts``: from a patient's red-flag reply to the alert card in the team's chat;
- ``scale``: cohorts of growing size: enrolment, idle and busy ticks, start-up, memory and
  the plans of the statements the bot runs;
- ``scoring``: check-ins scored per second on one core.

Figures are measured here, never asserted in tests; ``tests/bench`` only checks that each
benchmark runs, tiny, on both backends.
"""
