"""Getting messages to Telegram: the outbox, pacing under Telegram's limits, outcomes."""
