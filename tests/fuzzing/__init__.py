"""Fuzzing the bot with hostile Telegram updates: strategies, the cast, snapshots, a runner."""
