"""Per-fill table: roles, beliefs in force, expected values and flags."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from oracle_rows import RecordBuilder

from market.oracle import analyze_session, expected_value, read_session
from market.oracle.rows import to_rows


def fills_of(builder: RecordBuilder, **options) -> pd.DataFrame:
    return read_session(builder.rows, "s", **options).fills


def test_rational_agent_scores_zero():
    # Believes 0.7: buys YES below it and sells YES above it, every fill at EV +0.10.
    builder = RecordBuilder().start({"rational": "test", "book": "test"})
    builder.decide("rational", 0.7)
    for _ in range(5):
        builder.trade("rational", "book", "buy", 60)
        builder.trade("rational", "book", "sell", 80)
    report = analyze_session(builder.rows, "s", replicates=200)
    row = report.agents.set_index("agent").loc["rational"]
    assert row["judged_fills"] == 10
    assert row["contradiction_rate"] == 0.0
    assert row["contradiction_volume_rate"] == 0.0


def test_always_against_agent_scores_all():
    # Believes 0.7: buys YES above it and sells YES below it, every fill at EV -0.10.
    builder = RecordBuilder().start({"against": "test", "book": "test"})
    builder.decide("against", 0.7)
    for _ in range(5):
        builder.trade("against", "book", "buy", 80)
        builder.trade("against", "book", "sell", 60)
    report = analyze_session(builder.rows, "s", replicates=200)
    row = report.agents.set_index("agent").loc["against"]
    assert row["judged_fills"] == 10
    assert row["contradiction_rate"] == 1.0
    assert row["contradiction_volume_rate"] == 1.0


def test_trade_makes_taker_and_maker_fill():
    builder = RecordBuilder().start({"taker": "test", "maker": "test"})
    builder.static("taker", 0.4).static("maker", 0.5)
    builder.decide("taker", 0.7).decide("maker", 0.55)
    builder.trade("taker", "maker", "buy", 60, quantity=3, mid_before=58, mid_after=61)
    fills = fills_of(builder).set_index("role")

    taker, maker = fills.loc["taker"], fills.loc["maker"]
    assert taker["agent"] == "taker"
    assert taker["direction"] == "buy"
    assert maker["agent"] == "maker"
    assert maker["direction"] == "sell"
    assert taker["price"] == 60
    assert maker["quantity"] == 3
    # Taker: buy at 0.60 under 0.7 is +0.10, under its static 0.4 it is -0.20.
    assert taker["ev_stated"] == pytest.approx(0.10)
    assert taker["ev_static"] == pytest.approx(-0.20)
    assert not taker["contradictory"]
    assert taker["contradictory_static"]
    # Maker: sell at 0.60 under 0.55 is +0.05, under 0.5 it is +0.10.
    assert maker["ev_stated"] == pytest.approx(0.05)
    assert maker["ev_static"] == pytest.approx(0.10)
    assert taker["position_after"] == 3
    assert maker["position_after"] == -3
    assert taker["mid_before"] == 58
    assert maker["counterparty"] == "taker"


def test_belief_in_force_is_latest_stated():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.3)
    builder.trade("agent", "book", "buy", 50)
    builder.decide("agent", 0.8)
    builder.trade("agent", "book", "buy", 50)
    builder.decide("agent", None)  # states nothing: 0.8 stays in force
    builder.trade("agent", "book", "buy", 50)
    fills = fills_of(builder)
    stated = fills[fills["agent"] == "agent"]["stated"].tolist()
    assert stated == [0.3, 0.8, 0.8]


def test_fill_without_belief_is_unjudged():
    builder = RecordBuilder().start({"silent": "test", "book": "test"})
    builder.trade("silent", "book", "buy", 50)
    fill = fills_of(builder).set_index("agent").loc["silent"]
    assert math.isnan(fill["stated"])
    assert math.isnan(fill["ev_stated"])
    assert fill["contradictory"] is pd.NA
    assert fill["high_confidence"] is pd.NA


@pytest.mark.parametrize(("price", "epsilon", "expected"), [
    (52, 0.02, False),  # EV exactly -0.02 is not below -epsilon
    (53, 0.02, True),
    (53, 0.05, False),
    (55, 0.05, False),
    (56, 0.05, True),
    (51, 0.0, True),
    (50, 0.0, False),
])
def test_epsilon_threshold(price, epsilon, expected):
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.5)
    builder.trade("agent", "book", "buy", price)
    fill = fills_of(builder, epsilon=epsilon).set_index("agent").loc["agent"]
    assert bool(fill["contradictory"]) is expected


@pytest.mark.parametrize(("belief", "expected"), [
    (0.8, True), (0.2, True), (0.95, True), (0.0, True), (0.79, False), (0.21, False),
    (0.5, False),
])
def test_high_confidence_flag(belief, expected):
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", belief)
    builder.trade("agent", "book", "buy", 50)
    fill = fills_of(builder).set_index("agent").loc["agent"]
    assert bool(fill["high_confidence"]) is expected


def test_high_confidence_threshold_configurable():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.7)
    builder.trade("agent", "book", "buy", 50)
    fill = fills_of(builder, high_confidence=0.2).set_index("agent").loc["agent"]
    assert bool(fill["high_confidence"])


def test_expected_value_formula():
    assert expected_value("buy", 40, 0.7) == pytest.approx(0.3)
    assert expected_value("sell", 40, 0.7) == pytest.approx(-0.3)


def test_expected_value_rejects_direction():
    with pytest.raises(ValueError, match="direction"):
        expected_value("hold", 40, 0.7)


def test_frame_input_matches_rows():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.6)
    builder.trade("agent", "book", "sell", 55, quantity=2)
    frame = pd.DataFrame([{"seq": row.seq, "t": row.t, "type": row.type,
                           "agent_id": row.agent_id, "payload": row.payload}
                          for row in builder.rows])
    from_rows = read_session(builder.rows, "s").fills
    from_frame = read_session(frame, "s").fills
    pd.testing.assert_frame_equal(from_rows, from_frame)


def test_json_payload_and_nan_agent_accepted():
    rows = to_rows(pd.DataFrame([{"seq": 0, "t": 0.0, "type": "news", "agent_id": float("nan"),
                                  "payload": '{"index": 0, "text": "x"}'}]))
    assert rows[0].agent_id is None
    assert rows[0].payload == {"index": 0, "text": "x"}


def test_rows_sorted_by_seq():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.6)
    builder.trade("agent", "book", "buy", 50)
    shuffled = list(reversed(builder.rows))
    fills = read_session(shuffled, "s").fills
    assert fills.set_index("agent").loc["agent", "stated"] == 0.6


def test_duplicate_seq_rejected():
    builder = RecordBuilder().start({"agent": "test"})
    with pytest.raises(ValueError, match="seq"):
        read_session(builder.rows + builder.rows[:1], "s")


def test_invalid_probability_rejected():
    builder = RecordBuilder().start({"agent": "test"})
    builder.decide("agent", 1.5)
    with pytest.raises(ValueError, match="probability 1.5"):
        read_session(builder.rows, "s")


def test_missing_field_rejected():
    with pytest.raises(ValueError, match="payload"):
        read_session([{"seq": 0, "t": 0.0, "type": "news", "agent_id": None}], "s")


def test_default_session_id_from_start():
    builder = RecordBuilder().start({"agent": "test"}, question_id="q-9", seed=4)
    assert read_session(builder.rows).session_id == "q-9:seed4"


def test_maker_and_taker_values_cancel():
    # Under one shared belief, a trade is zero-sum: the two fills' EVs add to 0.
    builder = RecordBuilder().start({"taker": "test", "maker": "test"})
    builder.decide("taker", 0.37).decide("maker", 0.37)
    builder.trade("taker", "maker", "sell", 44)
    fills = fills_of(builder)
    assert fills["ev_stated"].sum() == pytest.approx(0.0)


def test_trade_without_price_rejected():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.add("trade", "agent", {"maker_id": "book", "taker_id": "agent",
                                   "taker_side": "buy", "quantity": 1})
    with pytest.raises(ValueError, match="has no price"):
        read_session(builder.rows, "s")
