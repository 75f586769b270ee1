"""Hand-computed agent metrics: rates, loss, revealed interval, Kelly gap, drift, impact."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from oracle_rows import RecordBuilder

from market.oracle import (
    against_own_prediction,
    analyze_session,
    analyze_tournament,
    held_fraction,
    kelly_fraction,
    kelly_position,
    marked_wealth,
)


def worked_example() -> RecordBuilder:
    """Alice trades three times against Bob, who states nothing.

    Alice's static belief is 0.6. She states 0.7, buys 10 at 60 (mid 58 -> 62), states
    0.55, sells 4 at 65 (mid 62 -> 60), buys 2 at 70 (mid 60 -> 64), then states 0.9.
    The question resolves YES at a final price of 64; Alice ends long 8, Bob short 8.
    """
    builder = RecordBuilder().start({"alice": "llm", "bob": "maker"})
    builder.static("alice", 0.6)
    builder.decide("alice", 0.7)
    builder.trade("alice", "bob", "buy", 60, quantity=10, mid_before=58, mid_after=62)
    builder.decide("alice", 0.55)
    builder.trade("alice", "bob", "sell", 65, quantity=4, mid_before=62, mid_after=60)
    builder.trade("alice", "bob", "buy", 70, quantity=2, mid_before=60, mid_after=64)
    builder.decide("alice", 0.9)
    builder.resolve("yes", 64.0, {"alice": 8, "bob": -8})
    return builder


@pytest.fixture(scope="module")
def report():
    return analyze_session(worked_example().rows, "s", replicates=500, rng=3)


@pytest.fixture(scope="module")
def alice(report):
    return report.agents.set_index("agent").loc["alice"]


@pytest.fixture(scope="module")
def alice_session(report):
    return report.agent_sessions.set_index("agent").loc["alice"]


def test_contradiction_rate_by_count(alice):
    # EVs: 0.70 - 0.60 = +0.10, 0.65 - 0.55 = +0.10, 0.55 - 0.70 = -0.15: one of three.
    assert alice["judged_fills"] == 3
    assert alice["contradiction_rate"] == pytest.approx(1 / 3)


def test_contradiction_rate_by_volume(alice):
    # 2 contradictory shares out of 10 + 4 + 2.
    assert alice["contradiction_volume_rate"] == pytest.approx(2 / 16)


def test_interval_brackets_rate(alice):
    assert alice["contradiction_rate_low"] <= alice["contradiction_rate"]
    assert alice["contradiction_rate"] <= alice["contradiction_rate_high"]


def test_high_confidence_rate_empty(alice):
    # Beliefs at the fills are 0.7, 0.55, 0.55: none is 0.3 from 0.5.
    assert alice["high_confidence_fills"] == 0
    assert math.isnan(alice["high_confidence_rate"])


def test_expected_loss_cents(alice):
    # Only the last fill: -(-0.15) * 2 shares * 100 = 30 cents.
    assert alice["expected_loss"] == pytest.approx(30.0)


def test_expected_value_cents(alice):
    # 100 * (0.10 * 10 + 0.10 * 4 - 0.15 * 2) = 110 cents.
    assert alice["expected_value"] == pytest.approx(110.0)


def test_against_own_prediction_false(alice_session):
    # Long 8 while the last stated belief 0.9 favours YES.
    assert alice_session["final_position"] == 8
    assert not alice_session["against_own_prediction"]


@pytest.mark.parametrize(("position", "belief", "expected"), [
    (5, 0.3, True), (-5, 0.7, True), (5, 0.7, False), (-5, 0.3, False), (0, 0.9, False),
    (5, 0.5, False), (5, None, None),
])
def test_against_own_prediction_cases(position, belief, expected):
    assert against_own_prediction(position, belief) is expected


def test_revealed_outside_share(alice):
    # 0.7 comes before any fill (unchecked). At 0.55 the interval is [0.60, -]: 0.55 is
    # below 0.60 - 0.02. At 0.9 it is [0.70, 0.65]: 0.9 is above 0.65 + 0.02.
    assert alice["revealed_checked"] == 2
    assert alice["revealed_outside_share"] == pytest.approx(1.0)


def test_revealed_interval_empty(alice_session):
    # Max buy 70 and min sell 65 differ by 5 cents, more than 2 * epsilon = 4 cents.
    assert alice_session["revealed_lower"] == pytest.approx(0.70)
    assert alice_session["revealed_upper"] == pytest.approx(0.65)
    assert alice_session["revealed_empty"]


def test_revealed_interval_within_slack():
    # Buy at 52 and sell at 50: a belief of 0.51 keeps both fills within epsilon.
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.51)
    builder.trade("agent", "book", "buy", 52)
    builder.trade("agent", "book", "sell", 50)
    builder.decide("agent", 0.51)
    report = analyze_session(builder.rows, "s", replicates=100)
    statement = report.statements.iloc[-1]
    assert not statement["revealed_empty"]
    assert not statement["outside"]


def test_drift_means(alice):
    # Stated minus static: +0.1, -0.05, +0.3.
    assert alice["drift_n"] == 3
    assert alice["drift_abs"] == pytest.approx(0.45 / 3)
    assert alice["drift_signed"] == pytest.approx(0.35 / 3)


def test_kelly_sizing(alice_session):
    # q = last trade 70 cents at the last statement. Wealth marked at 70:
    # 100000 + 10 * (70 - 60) + 4 * (65 - 70) + 2 * (70 - 70) = 100080 cents.
    # f* = (0.9 - 0.7) / 0.3 = 2/3; Kelly position = (2/3) * 100080 / 70 shares.
    # Held: 8 shares * 70 / 100080.
    assert alice_session["reference_price"] == 70
    assert alice_session["wealth"] == pytest.approx(100_080)
    assert alice_session["kelly_fraction"] == pytest.approx(2 / 3)
    assert alice_session["kelly_position"] == pytest.approx((2 / 3) * 100_080 / 70)
    assert alice_session["held_fraction"] == pytest.approx(8 * 70 / 100_080)
    assert alice_session["kelly_gap"] == pytest.approx(8 * 70 / 100_080 - 2 / 3)


def test_kelly_no_side():
    # p = 0.3 below q = 0.5: stake (0.5 - 0.3) / 0.5 = 0.4 on NO; 0.4 * 10000 / 50 = 80 NO.
    assert kelly_fraction(0.3, 0.5) == pytest.approx(-0.4)
    assert kelly_position(0.3, 0.5, 10_000) == pytest.approx(-80)


def test_kelly_yes_side():
    # p = 0.8 above q = 0.6: stake 0.2 / 0.4 = 0.5; 0.5 * 6000 / 60 = 50 YES.
    assert kelly_fraction(0.8, 0.6) == pytest.approx(0.5)
    assert kelly_position(0.8, 0.6, 6_000) == pytest.approx(50)


def test_kelly_flat_at_price():
    assert kelly_fraction(0.6, 0.6) == 0.0


def test_held_fraction_short():
    # 80 NO shares at YES price 0.5 hold 80 * 50 = 4000 of 10000 cents.
    assert held_fraction(-80, 0.5, 10_000) == pytest.approx(-0.4)


def test_marked_wealth_short_sale():
    # Selling 1 YES at 40 with the mark at 30: +10 cents.
    assert marked_wealth(1000, ["sell"], [40], [1], 0.30) == pytest.approx(1010)


def test_kelly_rejects_cent_price():
    with pytest.raises(ValueError, match="probability, not cents"):
        kelly_fraction(0.6, 60)


def test_impact_sum(alice):
    # +4, -2, +4 cents over three taker orders.
    assert alice["taker_orders"] == 3
    assert alice["impact"] == pytest.approx(6.0)


def test_impact_direction_share(report):
    # Belief 70: 58 -> 62 moves closer (toward). Belief 55: 62 -> 60 closer (toward),
    # 60 -> 64 farther (away). Two of three.
    orders = report.taker_orders[report.taker_orders["agent"] == "alice"]
    assert orders["toward"].tolist() == [True, True, False]
    assert orders["away"].tolist() == [False, False, True]
    alice = report.agents.set_index("agent").loc["alice"]
    assert alice["impact_toward_share"] == pytest.approx(2 / 3)


def test_impact_counts_order_once():
    # One taker order filled by two makers: both fills carry the same mids.
    builder = RecordBuilder().start({"taker": "test", "a": "test", "b": "test"})
    builder.decide("taker", 0.8)
    builder.trade("taker", "a", "buy", 60, mid_before=59, mid_after=63, taker_order_id=7)
    builder.trade("taker", "b", "buy", 61, mid_before=59, mid_after=63, taker_order_id=7)
    report = analyze_session(builder.rows, "s", replicates=100)
    taker = report.agents.set_index("agent").loc["taker"]
    assert taker["taker_orders"] == 1
    assert taker["impact"] == pytest.approx(4.0)


def test_impact_skips_missing_mid():
    builder = RecordBuilder().start({"taker": "test", "maker": "test"})
    builder.decide("taker", 0.8)
    builder.trade("taker", "maker", "buy", 60, mid_before=None, mid_after=63)
    report = analyze_session(builder.rows, "s", replicates=100)
    taker = report.agents.set_index("agent").loc["taker"]
    assert taker["taker_orders"] == 0
    assert taker["impact"] == 0.0


def test_maker_has_no_impact(report):
    bob = report.agents.set_index("agent").loc["bob"]
    assert bob["taker_orders"] == 0
    assert bob["impact"] == 0.0


def test_silent_agent_reported_missing(report):
    # Bob states no belief: every belief-based metric is NaN with n = 0, never 0.
    bob = report.agents.set_index("agent").loc["bob"]
    assert bob["fills"] == 3
    assert bob["judged_fills"] == 0
    for name in ("contradiction_rate", "contradiction_volume_rate", "expected_loss",
                 "expected_value", "against_own_prediction", "kelly_gap", "drift_abs",
                 "revealed_outside_share"):
        assert math.isnan(bob[name]), name
    assert bob["stated_agent_sessions"] == 0
    assert bob["brier_stated_n"] == 0


def test_silent_agent_session_row(report):
    bob = report.agent_sessions.set_index("agent").loc["bob"]
    assert bob["against_own_prediction"] is pd.NA
    assert math.isnan(bob["stated"])


def test_session_summary_pools_agents(report):
    # Alice's 3 fills are judged; Bob's 3 are not.
    session = report.session_summary.iloc[0]
    assert session["fills"] == 6
    assert session["judged_fills"] == 3
    assert session["contradiction_rate"] == pytest.approx(1 / 3)
    assert session["outcome"] == "yes"


def two_sessions() -> dict[str, list]:
    first = RecordBuilder().start({"x": "noise", "y": "noise", "book": "maker"})
    first.decide("x", 0.5).decide("y", 0.5)
    first.trade("x", "book", "buy", 60)   # contradictory
    first.trade("y", "book", "buy", 40)   # fine
    first.resolve("yes", 60.0)
    second = RecordBuilder().start({"x": "noise", "book": "maker"})
    second.decide("x", 0.5)
    second.trade("x", "book", "buy", 40)  # fine
    second.trade("x", "book", "buy", 45)  # fine
    second.resolve("no", 45.0)
    return {"first": first.rows, "second": second.rows}


def test_pool_by_agent():
    report = analyze_tournament(two_sessions(), replicates=200)
    x = report.agents.set_index("agent").loc["x"]
    assert x["sessions"] == 2
    assert x["judged_fills"] == 3
    assert x["contradiction_rate"] == pytest.approx(1 / 3)


def test_pool_by_kind():
    report = analyze_tournament(two_sessions(), replicates=200)
    noise = report.kinds.set_index("kind").loc["noise"]
    assert noise["agent_sessions"] == 3
    assert noise["judged_fills"] == 4
    assert noise["contradiction_rate"] == pytest.approx(1 / 4)


def test_tournament_rejects_duplicate_ids():
    rows = two_sessions()["first"]
    with pytest.raises(ValueError, match="more than once"):
        analyze_tournament([analyze_session(rows, "a").records[0],
                            analyze_session(rows, "a").records[0]])


def test_tournament_rejects_empty():
    with pytest.raises(ValueError, match="no sessions"):
        analyze_tournament({})


def test_same_seed_same_report():
    first = analyze_tournament(two_sessions(), rng=5, replicates=200)
    second = analyze_tournament(two_sessions(), rng=5, replicates=200)
    pd.testing.assert_frame_equal(first.agents, second.agents)


def test_revealed_empty_share(alice):
    # At 0.55 the interval [0.60, -] is not empty; at 0.9, [0.70, 0.65] is.
    assert alice["revealed_empty_share"] == pytest.approx(0.5)
    assert alice["revealed_empty_sessions"] == 1
