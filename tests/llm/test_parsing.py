"""Model reply parsing: the hard cases that mis-score or crash naive parsers."""

from __future__ import annotations

import json
import math

import pytest

from agents.llm.parsing import (
    RefusalError,
    ReplyError,
    extract_json_object,
    parse_answer,
    parse_belief,
    parse_decision,
    parse_probability,
)
from market.types import Contract, Side


def decision(**fields: object) -> str:
    base: dict[str, object] = {"probability_yes": 0.6, "orders": [], "cancel_all": False,
                               "reasoning": "r"}
    base.update(fields)
    return json.dumps(base)


def order(action: str = "buy_yes", price: object = 40, quantity: object = 5) -> dict:
    return {"action": action, "price": price, "quantity": quantity}


# Probabilities


def test_percent_string_read_as_fraction():
    assert parse_probability("85%") == pytest.approx(0.85)


def test_decimal_string_read():
    assert parse_probability("0.85") == pytest.approx(0.85)


def test_bare_85_rejected_with_hint():
    with pytest.raises(ReplyError, match="write 0.85"):
        parse_probability(85)


def test_nan_rejected():
    with pytest.raises(ReplyError, match="finite"):
        parse_probability(math.nan)


def test_nan_string_rejected():
    with pytest.raises(ReplyError):
        parse_probability("NaN")


def test_negative_probability_rejected():
    with pytest.raises(ReplyError, match="between 0 and 1"):
        parse_probability(-0.1)


def test_boolean_probability_rejected():
    with pytest.raises(ReplyError):
        parse_probability(True)


def test_no_with_confidence_is_low_yes():
    belief = parse_belief(json.dumps({"answer": "No", "confidence": 0.9}))
    assert belief.probability_yes == pytest.approx(0.1)


def test_no_with_percent_confidence_is_low_yes():
    belief = parse_belief(json.dumps({"answer": "no", "confidence": "90%"}))
    assert belief.probability_yes == pytest.approx(0.1)


def test_yes_with_confidence_is_high_yes():
    belief = parse_belief(json.dumps({"answer": "yes", "confidence": 0.9}))
    assert belief.probability_yes == pytest.approx(0.9)


def test_free_text_no_confidence_90_rejected():
    with pytest.raises(ReplyError):
        parse_belief("No, confidence 90")


def test_probability_no_alone_converted():
    belief = parse_belief(json.dumps({"probability_no": 0.3}))
    assert belief.probability_yes == pytest.approx(0.7)


def test_yes_and_no_not_summing_to_one_rejected():
    with pytest.raises(ReplyError, match="do not sum to 1"):
        parse_belief(json.dumps({"probability_yes": 0.7, "probability_no": 0.6}))


def test_yes_and_no_summing_to_one_accepted():
    belief = parse_belief(json.dumps({"probability_yes": 0.7, "probability_no": 0.3}))
    assert belief.probability_yes == pytest.approx(0.7)


def test_missing_probability_rejected():
    with pytest.raises(ReplyError, match="probability_yes is missing"):
        parse_belief(json.dumps({"reasoning": "unsure"}))


# Reply text


def test_fenced_json_with_trailing_prose():
    text = "Here is my answer:\n```json\n" + decision() + "\n```\nI hope this helps!"
    assert parse_decision(text).probability_yes == pytest.approx(0.6)


def test_bare_json_inside_prose():
    text = "Sure. " + decision(probability_yes=0.25) + " That is all."
    assert parse_decision(text).probability_yes == pytest.approx(0.25)


def test_empty_reply_rejected():
    with pytest.raises(ReplyError, match="empty"):
        parse_decision("")


def test_whitespace_reply_rejected():
    with pytest.raises(ReplyError, match="empty"):
        parse_decision("   \n ")


def test_refusal_detected():
    with pytest.raises(RefusalError):
        parse_decision("I'm sorry, but I can't help with trading decisions.")


def test_multiple_choice_letter_rejected():
    with pytest.raises(ReplyError, match="no JSON object"):
        parse_decision("b)")


def test_json_array_is_not_an_object():
    with pytest.raises(ReplyError):
        extract_json_object("[1, 2, 3]")


def test_structured_output_preferred_over_text():
    structured = json.loads(decision(probability_yes=0.2))
    assert parse_decision("garbage", structured).probability_yes == pytest.approx(0.2)


# Orders


def test_buy_no_order_converts():
    reply = parse_decision(decision(orders=[order("buy_no", 30, 4)]))
    request = reply.orders[0].to_request()
    assert request.contract is Contract.NO
    assert request.side is Side.BUY
    assert request.price == 30
    assert request.quantity == 4


def test_action_spelling_normalised():
    reply = parse_decision(decision(orders=[order("Sell YES", 55, 2)]))
    assert reply.orders[0].action == "sell_yes"


@pytest.mark.parametrize("quantity", [-3, 0, 2.5, "many", math.inf])
def test_bad_quantity_rejected(quantity):
    with pytest.raises(ReplyError, match="quantity"):
        parse_decision(decision(orders=[order(quantity=quantity)]).replace("Infinity", "1e999"))


def test_integral_float_quantity_accepted():
    reply = parse_decision(decision(orders=[order(quantity=3.0)]))
    assert reply.orders[0].quantity == 3


@pytest.mark.parametrize("price", [0, 100, 150, -5, 50.5])
def test_price_outside_range_rejected(price):
    with pytest.raises(ReplyError, match="price"):
        parse_decision(decision(orders=[order(price=price)]))


def test_unknown_action_rejected():
    with pytest.raises(ReplyError, match="action"):
        parse_decision(decision(orders=[order("short")]))


def test_huge_quantity_rejected():
    with pytest.raises(ReplyError, match="quantity"):
        parse_decision(decision(orders=[order(quantity=1_000_000_000)]))


def test_null_orders_mean_hold():
    reply = parse_decision(decision(orders=None))
    assert reply.orders == []


# Answers


@pytest.mark.parametrize(("text", "expected"), [
    ('{"answer": "yes"}', "yes"), ('{"answer": "No"}', "no"), ("Yes.", "yes"), ("no", "no"),
])
def test_answer_parsed(text, expected):
    assert parse_answer(text) == expected


def test_answer_letter_rejected():
    with pytest.raises(ReplyError):
        parse_answer("b)")
