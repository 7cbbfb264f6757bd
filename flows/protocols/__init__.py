"""The protocol files shipped with the program (package data, opened by
``bot.protocols.sources``)."""

# Protocol ids; each is the file ``<id>.yaml`` in this folder (a test keeps the list true).
SHIPPED = ("spine-miss-lumbar", "spine-open-lumbar", "spine-miss-fusion", "spine-open-fusion")


def shipped_file_names() -> tuple[str, ...]:
    return tuple(f"{protocol_id}.yaml" for protocol_id in SHIPPED)
