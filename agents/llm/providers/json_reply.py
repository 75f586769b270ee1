"""Reading a reply's text as the JSON object that structured output requested."""

from __future__ import annotations

import json


def json_object_or_none(text: str) -> dict[str, object] | None:
    """Return `text` parsed as one JSON object, or None when it is anything else.

    None sends the trader to its own parsing of the text, which reports what is wrong
    and sends the model a repair request.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
