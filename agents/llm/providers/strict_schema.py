"""JSON schemas rewritten for OpenAI's strict Structured Outputs.

Strict mode accepts a subset of JSON Schema: every object must set
`additionalProperties: false` and list all its properties in `required`. `strict_schema`
rewrites a schema to fit. An optional property becomes required and may be null, so
the reply contains `null` where the model gave no value. String length limits
move into the description, where the model still reads them, and the trader's
validation checks the reply.
"""

from __future__ import annotations

import copy
from typing import Any

# NOTE: minLength/maxLength are moved out on the assumption that strict mode rejects
# them; no list of supported keywords was checked against the live API.
MOVED_TO_DESCRIPTION = {
    "minLength": "At least {} characters.",
    "maxLength": "At most {} characters.",
}

SCALAR_TYPES = frozenset({"string", "number", "integer", "boolean"})


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Return a strict-mode copy of `schema`; the argument is left unchanged."""
    result = copy.deepcopy(schema)
    _make_strict(result)
    return result


def _make_strict(node: Any) -> None:
    if not isinstance(node, dict):
        return

    for keyword, sentence in MOVED_TO_DESCRIPTION.items():
        if keyword in node:
            hint = sentence.format(node.pop(keyword))
            description = node.get("description")
            node["description"] = f"{description} {hint}" if description else hint

    properties = node.get("properties")
    if isinstance(properties, dict):
        required = set(node.get("required", []))
        for name, child in properties.items():
            _make_strict(child)
            if name not in required:
                properties[name] = _nullable(child)
        node["required"] = list(properties)
        node["additionalProperties"] = False
    elif node.get("type") == "object":
        node["additionalProperties"] = False

    items = node.get("items")
    if isinstance(items, dict):
        _make_strict(items)
    for variant in node.get("anyOf", []):
        _make_strict(variant)
    for key in ("$defs", "definitions"):
        for child in (node.get(key) or {}).values():
            _make_strict(child)


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """Return `schema` widened to also accept null."""
    kind = schema.get("type")
    if kind in SCALAR_TYPES and "enum" not in schema:
        return {**schema, "type": [kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}
