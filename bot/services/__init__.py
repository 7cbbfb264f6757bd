"""Use cases that tie the clinic (flows) to the database and Telegram: one module each."""
