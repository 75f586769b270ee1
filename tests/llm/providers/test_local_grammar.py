"""local_grammar: exact integer ranges, bounded probabilities, and grammars llama.cpp accepts."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.llm.parsing import ANSWER_SCHEMA, BELIEF_SCHEMA, DECISION_SCHEMA
from agents.llm.providers.local import check_grammar, default_model_path, load_model
from agents.llm.providers.local_grammar import (
    JSON_CHAR_GBNF,
    PROBABILITY_GBNF,
    bounded_number_gbnf,
    integer_range_alternatives,
    integer_range_gbnf,
    schema_gbnf,
)


def range_regex(low: int, high: int) -> re.Pattern[str]:
    """Return the alternatives of [low, high] as a Python regex, to test what they match."""
    alternatives = ["".join(a if a == b else f"[{a}-{b}]" for a, b in pattern)
                    for pattern in integer_range_alternatives(low, high)]
    return re.compile("|".join(alternatives))


def rule(grammar: str, name: str) -> str:
    """Return the right-hand side of rule `name` in a GBNF grammar."""
    for line in grammar.splitlines():
        if line.startswith(f"{name} ::= "):
            return line.removeprefix(f"{name} ::= ")
    raise AssertionError(f"rule {name} not in grammar:\n{grammar}")


@pytest.mark.parametrize(("low", "high"), [(0, 0), (1, 9), (1, 99), (1, 10_000), (7, 7),
                                           (13, 287), (0, 1000), (95, 105)])
def test_range_matches_exactly(low, high):
    pattern = range_regex(low, high)
    for number in range(0, high * 2 + 20):
        assert bool(pattern.fullmatch(str(number))) == (low <= number <= high), number


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 2 * 10**7))
def test_range_matches_any_number(a, b, number):
    low, high = min(a, b), max(a, b)
    assert bool(range_regex(low, high).fullmatch(str(number))) == (low <= number <= high)


def test_range_has_no_leading_zero():
    assert range_regex(0, 500).fullmatch("07") is None


def test_invalid_range_rejected():
    with pytest.raises(ValueError):
        integer_range_alternatives(-1, 5)


def test_price_rule():
    assert integer_range_gbnf(1, 99) == "([1-9] | [1-9] [0-9])"


def test_bounds_handled():
    assert bounded_number_gbnf({"type": "integer", "minimum": 1, "maximum": 99}) is not None
    assert bounded_number_gbnf({"type": "number", "minimum": 0, "maximum": 1}) == PROBABILITY_GBNF


def test_bounds_left_to_validation():
    for schema in ({"type": "integer", "minimum": -5, "maximum": 5},
                   {"type": "integer", "minimum": 1},
                   {"type": "number", "minimum": 0, "maximum": 100},
                   {"type": "integer", "minimum": 1, "maximum": 3, "enum": [1, 3]}):
        assert bounded_number_gbnf(schema) is None, schema


def test_decision_grammar_bounds_numbers():
    grammar = schema_gbnf(DECISION_SCHEMA)
    assert rule(grammar, "orders-item-price") == "([1-9] | [1-9] [0-9]) space"
    assert rule(grammar, "probability-yes") == f"{PROBABILITY_GBNF} space"


def test_strings_exclude_control_characters():
    assert rule(schema_gbnf(BELIEF_SCHEMA), "char") == JSON_CHAR_GBNF


@pytest.mark.parametrize("schema", [DECISION_SCHEMA, BELIEF_SCHEMA, ANSWER_SCHEMA])
def test_llama_cpp_accepts_grammar(schema):
    loaded = load_model(default_model_path())
    check_grammar(loaded.llama, schema_gbnf(schema))


def test_check_grammar_rejects_undefined_rule():
    loaded = load_model(default_model_path())
    with pytest.raises(ValueError):
        check_grammar(loaded.llama, "root ::= undefined-rule")
