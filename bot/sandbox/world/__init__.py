"""The fake Telegram's world: bots, people, chats, messages, the updates waiting for each bot."""
