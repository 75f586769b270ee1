"""Decision-theoretic tests: isotonic fit, monotonicity, logistic fit, belief sufficiency."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from oracle_rows import RecordBuilder

from market.oracle import (
    analyze_tournament,
    fit_logistic,
    isotonic_fit,
    monotonicity_test,
    predict_logistic,
    sufficiency_test,
)
from market.oracle.decision_tests import monotonicity_bins

sklearn_isotonic = pytest.importorskip("sklearn.isotonic")
sklearn_linear = pytest.importorskip("sklearn.linear_model")


def test_isotonic_pools_violators():
    fitted = isotonic_fit(np.array([1.0, 3.0, 2.0, 4.0]))
    np.testing.assert_allclose(fitted, [1.0, 2.5, 2.5, 4.0])


def test_isotonic_weighted_pool():
    # Pool of 3 (weight 1) and 1 (weight 3): (3 + 3) / 4 = 1.5.
    fitted = isotonic_fit(np.array([3.0, 1.0]), np.array([1.0, 3.0]))
    np.testing.assert_allclose(fitted, [1.5, 1.5])


def test_isotonic_keeps_monotone():
    values = np.array([0.0, 0.2, 0.2, 0.9])
    np.testing.assert_allclose(isotonic_fit(values), values)


def test_isotonic_matches_sklearn():
    rng = np.random.default_rng(0)
    values = rng.random(200) + np.linspace(0, 1, 200)
    weights = rng.integers(1, 10, 200).astype(float)
    expected = sklearn_isotonic.IsotonicRegression().fit(
        np.arange(200), values, sample_weight=weights).predict(np.arange(200))
    np.testing.assert_allclose(isotonic_fit(values, weights), expected)


def test_isotonic_rejects_zero_weight():
    with pytest.raises(ValueError, match="positive"):
        isotonic_fit(np.array([1.0, 2.0]), np.array([1.0, 0.0]))


def test_monotonicity_hand_computed():
    # Four bins with rates 1, 0, 1, 0: the isotonic fit is 0.5 everywhere, so the
    # violation is mean((0.5)^2) = 0.25, with two falling pairs of size 1.
    result = monotonicity_test(np.array([-0.2, -0.1, 0.1, 0.2]),
                               np.array([1.0, 0.0, 1.0, 0.0]), bins=4)
    assert result["bins"] == 4
    assert result["violation"] == pytest.approx(0.25)
    assert result["violating_pairs"] == 2
    assert result["max_drop"] == pytest.approx(1.0)


def test_monotone_agent_no_violation():
    rng = np.random.default_rng(1)
    gaps = rng.uniform(-0.3, 0.3, 500)
    result = monotonicity_test(gaps, (gaps > 0).astype(float))
    assert result["violation"] == 0.0
    assert result["violating_pairs"] == 0


def test_contrarian_agent_violates():
    rng = np.random.default_rng(2)
    gaps = rng.uniform(-0.3, 0.3, 500)
    result = monotonicity_test(gaps, (gaps < 0).astype(float))
    assert result["violation"] > 0.2
    assert result["violating_pairs"] >= 1


def test_monotonicity_bins_keep_ties():
    # Every gap equal: one bin, whatever was asked for.
    table = monotonicity_bins(np.zeros(10), np.ones(10), bins=10)
    assert len(table) == 1


def test_monotonicity_empty():
    result = monotonicity_test(np.array([]), np.array([]))
    assert result["n"] == 0
    assert math.isnan(result["violation"])


def test_logistic_matches_sklearn():
    rng = np.random.default_rng(3)
    features = rng.normal(size=(400, 2))
    outcomes = (rng.random(400) < 1 / (1 + np.exp(-(0.3 + features @ [1.5, -0.7])))).astype(float)
    ours = fit_logistic(features, outcomes, ridge=1e-3)
    model = sklearn_linear.LogisticRegression(C=1e3, tol=1e-12, max_iter=10_000).fit(
        features, outcomes)
    np.testing.assert_allclose(ours[1:], model.coef_[0], atol=1e-4)
    assert ours[0] == pytest.approx(model.intercept_[0], abs=1e-4)


def test_logistic_finite_when_separable():
    features = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    coefficients = fit_logistic(features, np.array([0.0, 0.0, 1.0, 1.0]))
    assert np.all(np.isfinite(coefficients))
    assert predict_logistic(coefficients, np.array([[3.0]]))[0] > 0.9


def test_logistic_finite_when_constant():
    coefficients = fit_logistic(np.array([[0.1], [0.5], [0.9]]), np.ones(3))
    assert np.all(np.isfinite(coefficients))


def synthetic_triples(informative: bool, sessions: int = 60, per_session: int = 20,
                      seed: int = 4) -> pd.DataFrame:
    """Triples whose belief is the true probability; the action is noise or the outcome."""
    rng = np.random.default_rng(seed)
    rows = []
    for session in range(sessions):
        truth = float(rng.uniform(0.1, 0.9))
        outcome = float(rng.random() < truth)
        for _ in range(per_session):
            buy = outcome if informative and rng.random() < 0.8 else float(rng.random() < 0.5)
            rows.append({"session": f"s{session}", "probability": truth,
                         "price": float(np.clip(100 * truth + rng.normal(0, 5), 1, 99)),
                         "buy": buy, "outcome": outcome})
    return pd.DataFrame(rows)


def test_sufficiency_noise_action_no_gain():
    result = sufficiency_test(synthetic_triples(False), np.random.default_rng(5),
                              replicates=500)
    assert result["folds"] == 5
    assert result["gain_low"] <= 0.0
    assert result["gain"] < 0.05


def test_sufficiency_informative_action_gains():
    result = sufficiency_test(synthetic_triples(True), np.random.default_rng(6),
                              replicates=500)
    assert result["gain"] > 0.05
    assert result["gain_low"] > 0.0


def test_sufficiency_needs_two_sessions():
    triples = synthetic_triples(True, sessions=1)
    result = sufficiency_test(triples, np.random.default_rng(7))
    assert result["folds"] == 0
    assert math.isnan(result["gain"])


def test_decision_tests_in_report():
    # A YES session: the agent buys YES below its belief and sells above it.
    sessions = {}
    for index, outcome in enumerate(("yes", "no", "yes")):
        builder = RecordBuilder().start({"agent": "llm"})
        builder.decide("agent", 0.6, [{"contract": "yes", "side": "buy", "price": 50,
                                        "quantity": 1, "kind": "limit"},
                                       {"contract": "no", "side": "buy", "price": 25,
                                        "quantity": 1, "kind": "limit"}])
        builder.resolve(outcome, 55.0)
        sessions[f"s{index}"] = builder.rows
    report = analyze_tournament(sessions, replicates=100)
    orders = report.orders
    # Buying NO at 25 is selling YES at 75.
    assert orders["buy"].tolist() == [True, False] * 3
    assert orders["price"].tolist() == [50.0, 75.0] * 3
    row = report.decision_tests.set_index(["scope", "group"]).loc[("all", "all")]
    assert row["n"] == 6
    assert row["violating_pairs"] == 0
    assert row["folds"] == 3


def test_order_without_price_uses_reference():
    builder = RecordBuilder().start({"agent": "llm", "book": "maker"})
    builder.decide("agent", 0.6)
    builder.trade("agent", "book", "buy", 48)
    builder.decide("agent", 0.6, [{"contract": "no", "side": "buy", "price": None,
                                    "quantity": 2, "kind": "market"},
                                   {"contract": "yes", "side": "hold", "price": 50,
                                    "quantity": 1, "kind": "limit"}])
    builder.resolve("yes", 48.0)
    orders = analyze_tournament({"s": builder.rows}, replicates=50).orders
    # The market order to buy NO is a YES sell at the last trade price; the invalid
    # side is skipped.
    assert len(orders) == 1
    assert orders["price_source"].tolist() == ["reference"]
    assert orders["price"].tolist() == [48.0]
    assert orders["buy"].tolist() == [False]
