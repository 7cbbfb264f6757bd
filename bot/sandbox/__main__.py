"""``python -m bot.sandbox``: the same as ``eras sandbox``."""

from bot.cli.sandbox import sandbox

sandbox(prog_name="python -m bot.sandbox")
