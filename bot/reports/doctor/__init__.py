"""Is anything misconfigured? What ``eras doctor``, ``/health`` and the daily digest report.

Each finding is a sentence naming the team and what to do. The database's side
(``setup.py``) is pure queries, cheap enough for every ``/health`` probe; the schema's
revision (``schema.py``) and what Telegram says (``telegram.py``) are asked by
``eras doctor`` only.
"""

from bot.reports.doctor.findings import Misconfiguration

__all__ = ["Misconfiguration"]
