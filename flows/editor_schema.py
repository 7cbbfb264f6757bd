"""The JSON Schema of protocol files, for editors (completion and checks while typing).

It describes the file format only; ``eras protocol validate`` also checks cross-references,
texts in every language and the core items. Regenerate the shipped copy with
``eras protocol schema > flows/protocols/protocol.schema.json`` (a test compares them).
"""

from __future__ import annotations

import json
from typing import Any

from flows.schema.protocol import Protocol


def protocol_json_schema() -> dict[str, Any]:
    schema = Protocol.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ERAS follow-up protocol",
        "description": "A follow-up protocol file (YAML). See docs/PROTOCOLS.md.",
        **{key: value for key, value in schema.items() if key != "title"},
    }


def protocol_json_schema_text() -> str:
    return json.dumps(protocol_json_schema(), indent=2, ensure_ascii=False) + "\n"
