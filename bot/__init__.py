"""The edges of the ERAS follow-up bot: Telegram, scheduler, services, command line."""

import os

# python-telegram-bot 22 gives durations (retry_after) as timedelta when asked to, as its
# next major version will always do; the program handles both, so opt in now.
os.environ.setdefault("PTB_TIMEDELTA", "1")
