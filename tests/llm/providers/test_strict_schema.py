"""strict_schema: JSON schemas rewritten for OpenAI's strict Structured Outputs."""

from __future__ import annotations

import copy

from agents.llm.parsing import ANSWER_SCHEMA, BELIEF_SCHEMA, DECISION_SCHEMA, REASONING_LENGTH
from agents.llm.providers.strict_schema import strict_schema

OPTIONAL_FIELDS = {
    "type": "object",
    "properties": {
        "answer": {"type": "string", "enum": ["yes", "no"]},
        "confidence": {"type": "number"},
        "note": {"type": "object", "properties": {"text": {"type": "string"}}},
    },
    "required": ["answer"],
}


def objects_in(schema):
    """Yield every object schema inside `schema`, the root included."""
    if isinstance(schema, dict):
        if "properties" in schema or schema.get("type") == "object":
            yield schema
        for value in schema.values():
            yield from objects_in(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from objects_in(value)


def test_every_object_closed():
    for schema in (DECISION_SCHEMA, BELIEF_SCHEMA, ANSWER_SCHEMA, OPTIONAL_FIELDS):
        for node in objects_in(strict_schema(schema)):
            assert node["additionalProperties"] is False


def test_every_property_required():
    for node in objects_in(strict_schema(OPTIONAL_FIELDS)):
        assert node["required"] == list(node.get("properties", {}))


def test_optional_property_nullable():
    properties = strict_schema(OPTIONAL_FIELDS)["properties"]
    assert properties["confidence"] == {"type": ["number", "null"]}
    assert properties["answer"] == {"type": "string", "enum": ["yes", "no"]}
    assert properties["note"]["anyOf"][1] == {"type": "null"}


def test_optional_enum_nullable():
    schema = {"type": "object", "properties": {"side": {"type": "string",
                                                        "enum": ["yes", "no"]}}}
    side = strict_schema(schema)["properties"]["side"]
    assert side == {"anyOf": [{"type": "string", "enum": ["yes", "no"]}, {"type": "null"}]}


def test_length_limit_moves_to_description():
    reasoning = strict_schema(DECISION_SCHEMA)["properties"]["reasoning"]
    assert "maxLength" not in reasoning
    assert reasoning["description"] == f"At most {REASONING_LENGTH} characters."


def test_numeric_bounds_kept():
    probability = strict_schema(DECISION_SCHEMA)["properties"]["probability_yes"]
    assert probability["minimum"] == 0
    assert probability["maximum"] == 1


def test_argument_unchanged():
    before = copy.deepcopy(DECISION_SCHEMA)
    strict_schema(DECISION_SCHEMA)
    assert DECISION_SCHEMA == before
