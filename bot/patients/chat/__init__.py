"""What a patient does in their chat with the bot: arrive, consent, answer, ask, pause."""
