"""GBNF grammars for the local model, from JSON schemas, with bounded numbers.

llama-cpp-python's schema converter (0.3.36) ignores `minimum` and `maximum`, and
SmolLM2-135M readily writes a price of 0 or 100 where the schema allows 1 to 99. The
converter here subclasses it and bounds two kinds of number exactly:

- an integer with a `minimum` and a `maximum`, both whole and not negative;
- a number with minimum 0 and maximum 1 (a probability), written with up to
  PROBABILITY_DECIMALS decimals.

Other bounds (negative ranges, exclusive bounds, other number ranges) are left to the
trader's validation. It also keeps raw control characters such as newlines out of
strings, which JSON forbids and the stock converter allows.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from agents.llm.providers.llama_runtime import import_llama_cpp

PROBABILITY_DECIMALS = 4

DigitClass = tuple[str, str]
"""One digit position: the lowest and the highest digit it accepts."""


def integer_range_alternatives(low: int, high: int) -> list[list[DigitClass]]:
    """Return digit patterns that together match exactly the integers in [low, high].

    Each pattern is a list of digit classes, one per position, so every pattern matches
    numbers of one length and none has a leading zero. This is the range split of the
    to-regex-range package: cut [low, high] at the numbers ending in runs of nines and
    zeros, so that each piece is a fixed prefix followed by full digit ranges.
    """
    if low < 0 or high < low:
        raise ValueError(f"range [{low}, {high}] is invalid: use 0 <= low <= high")

    stops = {high}
    nines = 1
    stop = _fill_nines(low, nines)
    while low <= stop < high:
        stops.add(stop)
        nines += 1
        stop = _fill_nines(low, nines)

    zeros = 1
    stop = _clear_digits(high + 1, zeros) - 1
    while low < stop <= high:
        stops.add(stop)
        zeros += 1
        stop = _clear_digits(high + 1, zeros) - 1

    patterns = []
    start = low
    for stop in sorted(stops):
        patterns.append([(a, b) for a, b in zip(str(start), str(stop), strict=True)])
        start = stop + 1
    return patterns


def _fill_nines(number: int, count: int) -> int:
    """Return `number` with its last `count` digits set to 9."""
    text = str(number)
    return int(text[:-count] + "9" * count) if count < len(text) else int("9" * count)


def _clear_digits(number: int, count: int) -> int:
    """Return `number` with its last `count` digits set to 0."""
    return number - number % 10**count


def integer_range_gbnf(low: int, high: int) -> str:
    """Return a GBNF expression that matches exactly the integers in [low, high]."""
    alternatives = []
    for pattern in integer_range_alternatives(low, high):
        alternatives.append(" ".join(f'"{a}"' if a == b else f"[{a}-{b}]" for a, b in pattern))
    return "(" + " | ".join(alternatives) + ")"


PROBABILITY_GBNF = ('("0" ("." [0-9]' + ' [0-9]?' * (PROBABILITY_DECIMALS - 1) + ')? | '
                    '"1" ("." "0"' + ' "0"?' * (PROBABILITY_DECIMALS - 1) + ')?)')
"""GBNF for a number from 0 to 1: "0", "0.25", "1", "1.0" and the like."""

JSON_CHAR_GBNF = (r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | '
                  r'"u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])')
"""One character inside a JSON string: no quote, backslash or control character unescaped."""


def bounded_number_gbnf(schema: dict[str, Any]) -> str | None:
    """Return a GBNF expression for a bounded number schema, or None when not handled."""
    low, high = schema.get("minimum"), schema.get("maximum")
    kind = schema.get("type")
    if "enum" in schema or "const" in schema or low is None or high is None:
        return None
    if isinstance(low, bool) or isinstance(high, bool):
        return None
    if kind == "integer" and isinstance(low, int | float) and isinstance(high, int | float):
        if float(low).is_integer() and float(high).is_integer() and 0 <= low <= high:
            return integer_range_gbnf(int(low), int(high))
    if kind == "number" and low == 0 and high == 1:
        return PROBABILITY_GBNF
    return None


def schema_gbnf(schema: dict[str, Any]) -> str:
    """Return the GBNF grammar text for a JSON schema (as llama_grammar.json_schema_to_gbnf)."""
    converter = _bounded_converter_class()(prop_order={}, allow_fetch=False, dotall=False,
                                           raw_pattern=False)
    resolved = converter.resolve_refs(json.loads(json.dumps(schema)), "stdin")
    converter.visit(resolved, "")
    return converter.format_grammar()


@functools.cache
def _bounded_converter_class() -> type:
    """Return llama-cpp-python's SchemaConverter with the bounds described above.

    The class is built on first use so that importing this module does not load llama_cpp.
    """
    import_llama_cpp()
    from llama_cpp.llama_grammar import RESERVED_NAMES, BuiltinRule, SchemaConverter

    json_char = BuiltinRule(JSON_CHAR_GBNF, [])

    class BoundedSchemaConverter(SchemaConverter):
        def visit(self, schema: dict[str, Any], name: str) -> str:
            expression = bounded_number_gbnf(schema) if isinstance(schema, dict) else None
            if expression is None:
                return super().visit(schema, name)
            # Rule naming as in SchemaConverter.visit.
            rule_name = name + "-" if name in RESERVED_NAMES else name or "root"
            return self._add_rule(rule_name, f"{expression} space")

        def _add_primitive(self, name: str, rule: BuiltinRule) -> str:
            return super()._add_primitive(name, json_char if name == "char" else rule)

    return BoundedSchemaConverter
