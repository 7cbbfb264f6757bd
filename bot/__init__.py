"""The edges of the ERAS follow-up bot: Telegram, scheduler, services, command line."""
