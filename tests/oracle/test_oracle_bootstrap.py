"""Bootstrap resampling: unbiased sums, cluster draws, percentile intervals, seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest

from market.oracle.bootstrap import (
    Resample,
    as_generator,
    mean_estimate,
    percentile_interval,
    ratio_estimate,
    resample_sums,
    sum_estimate,
)


def test_resample_sums_unbiased():
    values = np.arange(1.0, 51.0)
    sums = resample_sums(values, None, np.random.default_rng(0), replicates=4000)[:, 0]
    # The mean of the resampled totals is the total, 1275, within a few standard errors.
    standard_error = values.std() * math.sqrt(len(values)) / math.sqrt(4000)
    assert abs(sums.mean() - values.sum()) < 4 * standard_error


def test_resample_sums_draws_n_observations():
    ones = np.ones(37)
    sums = resample_sums(ones, None, np.random.default_rng(0), replicates=50)[:, 0]
    assert np.all(sums == 37)


def test_cluster_draws_whole_sessions():
    # Two sessions of equal size, one all 0 and one all 1: a replicate draws session A
    # twice, B twice, or each once, so its mean is 0, 1 or 0.5 and nothing else.
    values = np.array([0.0] * 10 + [1.0] * 10)
    clusters = np.array(["a"] * 10 + ["b"] * 10)
    sums = resample_sums(np.column_stack([values, np.ones(20)]), clusters,
                         np.random.default_rng(1), replicates=500)
    means = sums[:, 0] / sums[:, 1]
    assert set(np.round(means, 9)) == {0.0, 0.5, 1.0}


def test_cluster_draw_keeps_total_count_on_average():
    clusters = np.array(["a"] * 5 + ["b"] * 15)
    sums = resample_sums(np.ones(20), clusters, np.random.default_rng(2), replicates=4000)[:, 0]
    assert abs(sums.mean() - 20) < 0.5


def test_single_cluster_matches_plain():
    values = np.random.default_rng(3).random(30)
    plain = resample_sums(values, None, np.random.default_rng(9), replicates=200)
    labelled = resample_sums(values, np.zeros(30), np.random.default_rng(9), replicates=200)
    np.testing.assert_array_equal(plain, labelled)


def test_same_seed_same_replicates():
    values = np.random.default_rng(3).random(30)
    first = resample_sums(values, None, as_generator(4), replicates=100)
    second = resample_sums(values, None, as_generator(4), replicates=100)
    np.testing.assert_array_equal(first, second)


def test_constant_values_zero_width():
    estimate = ratio_estimate(np.zeros(25), np.ones(25), None, np.random.default_rng(0))
    assert estimate.value == 0.0
    assert estimate.low == 0.0
    assert estimate.high == 0.0
    assert estimate.n == 25


def test_empty_ratio_is_nan():
    estimate = ratio_estimate(np.array([]), np.array([]), None, np.random.default_rng(0))
    assert math.isnan(estimate.value)
    assert math.isnan(estimate.low)
    assert estimate.n == 0


def test_mean_drops_nan():
    estimate = mean_estimate(np.array([1.0, np.nan, 3.0]), None, np.random.default_rng(0),
                             replicates=200)
    assert estimate.value == 2.0
    assert estimate.n == 2


def test_sum_interval_brackets_total():
    values = np.random.default_rng(5).normal(10, 3, 40)
    estimate = sum_estimate(values, None, np.random.default_rng(6))
    assert estimate.low < estimate.value < estimate.high


def test_percentile_interval_quantiles():
    low, high = percentile_interval(np.arange(1001.0), 0.9)
    assert low == pytest.approx(50.0)
    assert high == pytest.approx(950.0)


def test_percentile_interval_ignores_nan():
    low, high = percentile_interval(np.array([np.nan, 1.0, 1.0]))
    assert low == 1.0
    assert high == 1.0


def test_percentile_rejects_level():
    with pytest.raises(ValueError, match="level"):
        percentile_interval(np.arange(5.0), 95)


def test_resample_shares_draws():
    # Two identical columns drawn together give identical replicates.
    column = np.random.default_rng(7).random(20)
    draws = Resample({"a": column, "b": column, "one": np.ones(20)}, None,
                     np.random.default_rng(8), replicates=100)
    np.testing.assert_array_equal(draws.samples["a"], draws.samples["b"])
    assert draws.ratio("a", "one", 20).value == pytest.approx(column.mean())


def test_generator_rejects_float_seed():
    with pytest.raises(TypeError, match="seed"):
        as_generator(1.5)
