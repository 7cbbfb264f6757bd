"""Signing in to the care-team console: one-time links, sessions, and the limit on tries."""
