"""eras team: care teams, their chats and their escalation chains."""
