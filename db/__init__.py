"""Persistence: SQLAlchemy models, engine and sessions, and the queries that need care."""
