"""Calibration scores: hand-computed values, scikit-learn agreement, annulled sessions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from oracle_rows import RecordBuilder

from market.oracle import (
    analyze_tournament,
    brier_score,
    brier_skill,
    expected_calibration_error,
    log_loss,
    reliability_bins,
)

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def test_brier_hand_computed():
    # (0.8 - 1)^2 = 0.04 and (0.3 - 0)^2 = 0.09: mean 0.065.
    assert brier_score(np.array([0.8, 0.3]), np.array([1.0, 0.0])) == pytest.approx(0.065)


def test_log_loss_hand_computed():
    # -(ln 0.8 + ln 0.7) / 2.
    expected = -(math.log(0.8) + math.log(0.7)) / 2
    assert log_loss(np.array([0.8, 0.3]), np.array([1.0, 0.0])) == pytest.approx(expected)


def test_log_loss_clips_certain_miss():
    # p = 0 for a YES outcome costs -ln(1e-6), not infinity.
    assert log_loss(np.array([0.0]), np.array([1.0])) == pytest.approx(-math.log(1e-6))


def test_ece_hand_computed():
    # 0.8 in bin 8 (frequency 1, gap 0.2); 0.3 in bin 3 (frequency 0, gap 0.3).
    probabilities = np.array([0.8, 0.3])
    outcomes = np.array([1.0, 0.0])
    assert expected_calibration_error(probabilities, outcomes) == pytest.approx(0.25)


def test_ece_pools_bin():
    # Both in bin 6: mean forecast 0.65, frequency 0.5, gap 0.15.
    probabilities = np.array([0.61, 0.69])
    outcomes = np.array([1.0, 0.0])
    assert expected_calibration_error(probabilities, outcomes) == pytest.approx(0.15)


def test_reliability_puts_one_in_last_bin():
    table = reliability_bins(np.array([1.0, 0.95]), np.array([1.0, 1.0]))
    assert table["bin"].tolist() == [9]
    assert table["n"].tolist() == [2]


def test_brier_skill_hand_computed():
    # Forecast Brier 0.085 against the market's 0.065: 1 - 0.085 / 0.065.
    skill = brier_skill(np.array([0.9, 0.4]), np.array([0.7, 0.2]), np.array([1.0, 0.0]))
    assert skill == pytest.approx(1 - 0.085 / 0.065)


def test_brier_skill_perfect_market_is_nan():
    assert math.isnan(brier_skill(np.array([0.5]), np.array([1.0]), np.array([1.0])))


def test_brier_matches_sklearn():
    rng = np.random.default_rng(0)
    probabilities = rng.random(500)
    outcomes = (rng.random(500) < probabilities).astype(float)
    expected = sklearn_metrics.brier_score_loss(outcomes, probabilities)
    assert brier_score(probabilities, outcomes) == pytest.approx(expected)


def test_log_loss_matches_sklearn():
    rng = np.random.default_rng(1)
    probabilities = np.clip(rng.random(500), 1e-6, 1 - 1e-6)
    outcomes = (rng.random(500) < probabilities).astype(float)
    expected = sklearn_metrics.log_loss(outcomes, probabilities, labels=[0, 1])
    assert log_loss(probabilities, outcomes) == pytest.approx(expected)


def test_empty_scores_are_nan():
    assert math.isnan(brier_score(np.array([]), np.array([])))
    assert math.isnan(log_loss(np.array([]), np.array([])))
    assert math.isnan(expected_calibration_error(np.array([]), np.array([])))


def test_scores_reject_length_mismatch():
    with pytest.raises(ValueError, match="one probability per outcome"):
        brier_score(np.array([0.5, 0.5]), np.array([1.0]))


def calibration_sessions() -> dict[str, list]:
    """Three sessions for one agent: YES, NO and annulled.

    static 0.8 / 0.3 / 0.5, last stated 0.9 / 0.4 / 0.1, market 70 / 20 / 50 cents.
    """
    sessions = {}
    for name, outcome, static, stated, final in (("yes", "yes", 0.8, 0.9, 70.0),
                                                ("no", "no", 0.3, 0.4, 20.0),
                                                ("void", "annulled", 0.5, 0.1, 50.0)):
        builder = RecordBuilder().start({"agent": "llm"})
        builder.static("agent", static)
        builder.decide("agent", 0.5)
        builder.decide("agent", stated)
        builder.resolve(outcome, final)
        sessions[name] = builder.rows
    return sessions


@pytest.fixture(scope="module")
def calibration():
    report = analyze_tournament(calibration_sessions(), replicates=200)
    return report.calibration.set_index(["scope", "group", "belief"])


def test_calibration_excludes_annulled(calibration):
    assert calibration.loc[("all", "all", "static"), "n"] == 2


def test_calibration_static_brier(calibration):
    assert calibration.loc[("all", "all", "static"), "brier"] == pytest.approx(0.065)


def test_calibration_stated_uses_last(calibration):
    # Last stated 0.9 and 0.4: (0.1^2 + 0.4^2) / 2 = 0.085.
    assert calibration.loc[("agent", "agent", "stated"), "brier"] == pytest.approx(0.085)


def test_calibration_market_brier(calibration):
    # Market 0.7 and 0.2: (0.09 + 0.04) / 2 = 0.065.
    assert calibration.loc[("all", "all", "market"), "brier"] == pytest.approx(0.065)


def test_calibration_skill_vs_market(calibration):
    assert calibration.loc[("all", "all", "stated"), "brier_skill"] == pytest.approx(
        1 - 0.085 / 0.065)
    assert calibration.loc[("all", "all", "static"), "brier_skill"] == pytest.approx(0.0)


def test_calibration_log_loss_and_ece(calibration):
    static = calibration.loc[("all", "all", "static")]
    assert static["log_loss"] == pytest.approx(-(math.log(0.8) + math.log(0.7)) / 2)
    assert static["ece"] == pytest.approx(0.25)


def test_agent_summary_carries_brier():
    report = analyze_tournament(calibration_sessions(), replicates=200)
    agent = report.agents.set_index("agent").loc["agent"]
    assert agent["brier_static"] == pytest.approx(0.065)
    assert agent["brier_static_n"] == 2
    assert agent["brier_stated"] == pytest.approx(0.085)


def test_silent_agent_calibration_empty():
    builder = RecordBuilder().start({"silent": "llm"})
    builder.resolve("yes", 60.0)
    report = analyze_tournament({"s": builder.rows}, replicates=100)
    row = report.calibration.set_index(["scope", "group", "belief"]).loc[
        ("agent", "silent", "stated")]
    assert row["n"] == 0
    assert math.isnan(row["brier"])
