"""The care-team console: one HTTP application for the pages, the Telegram webhook and
``/health``, served by uvicorn in the bot's own event loop (or alone by ``eras web``).

An edge like the command line and the Telegram handlers: each page authorises (session,
role, team), calls the use case a Telegram button or a command calls, and renders.
"""
