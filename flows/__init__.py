"""The clinic in pure Python: protocols, schedules, the check-in conversation, triage.

Nothing here reads the clock, the database, the network or Telegram.
"""
