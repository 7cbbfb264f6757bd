"""``python -m bot.sandbox``: the same as ``eras sandbox``."""

from bot.sandbox.serving.standalone import sandbox

sandbox(prog_name="python -m bot.sandbox")
