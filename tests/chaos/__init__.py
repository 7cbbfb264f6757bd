"""The chaos harness: the real bot, killed and faulted, and proof that nothing was lost.

``make chaos`` (``python -m tests.chaos``) runs the bot as a separate process
(``python -m bot.cli run``, polling) on a
fresh PostgreSQL database, against the sandbox run as another process (``eras sandbox``)
and driven only through its HTTP control API. Scripted patients answer their check-ins;
the bot is killed with SIGKILL at random moments and restarted; the sandbox answers some
calls with 429, 5xx, slow answers and dropped connections. After a quiet period it
reconciles three ledgers — the schedule as planned, the database, and every call the
sandbox received — and reports any check-in, answer, alert or message that was lost,
counted twice or sent against Telegram's ``retry_after``.

The bot is not modified. The harness compresses the schedule instead: after enrolment
(through the real enrolment service) each patient's POD 1 check-in row is moved so that
it falls due within the next few minutes, with its reminder and window end to match.
"""
