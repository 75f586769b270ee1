"""Decision-theoretic tests over many (belief, price, action) triples.

Each order of a decision gives one triple: the stated belief p in force after the
decision, the order's YES limit price q (as a probability), and whether it buys YES
(see `market.oracle.tracker.DecisionOrder`).

**Monotonicity.** An agent that acts on its belief buys YES more often the further p
lies above q. So the rate of buying must not decrease with the gap g = p - q. The
triples are cut into quantile bins of g (ties kept together, so there may be fewer
bins than asked for). With n_b triples and buy rate r_b in bin b, and r*_b the weighted
isotonic (non-decreasing) regression of the r_b, fitted by pool-adjacent-violators:

    violation = sum_b n_b (r_b - r*_b)^2 / sum_b n_b
    violating pairs = number of adjacent bins with r_{b+1} < r_b

Both are 0 for a monotone agent, whatever the rates are.

**Belief sufficiency.** If the stated belief is what drives trading, the action should
carry no information about the outcome y beyond p and q. Two logistic regressions of
y are compared, each with an intercept:

    base:  y ~ logit p + logit q
    full:  y ~ logit p + logit q + buy

fitted by Newton's method (IRLS) with an L2 penalty of 1e-3 on the slopes, which
keeps the fit finite when the data are separable. p and q are clipped to
[1e-6, 1 - 1e-6] before the logit. Out-of-sample log loss comes from K-fold cross
validation with whole sessions as folds, because all triples of a session share one
outcome. The gain is mean log loss(base) - mean log loss(full) over the held-out
triples: above 0 means the action predicts the outcome beyond the stated belief, so
the stated belief is not the whole story. Its interval resamples sessions, then triples
within them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.oracle.bootstrap import DEFAULT_LEVEL, DEFAULT_REPLICATES, mean_estimate

CLIP = 1e-6
RIDGE = 1e-3
DEFAULT_BINS = 10
DEFAULT_FOLDS = 5


# Isotonic regression


def isotonic_fit(values: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Return the weighted least-squares non-decreasing fit to `values`, in their order.

    Pool-adjacent-violators: scan left to right, keep blocks of pooled values, and merge
    the last two blocks while the earlier one has the larger weighted mean.
    """
    values = np.asarray(values, dtype=float)
    weights = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    if len(values) != len(weights):
        raise ValueError(f"{len(values)} values for {len(weights)} weights: pass one weight "
                         "per value")
    if np.any(weights <= 0):
        raise ValueError("isotonic weights must be positive: drop empty bins first")

    means: list[float] = []
    totals: list[float] = []
    sizes: list[int] = []
    for value, weight in zip(values, weights, strict=True):
        means.append(float(value))
        totals.append(float(weight))
        sizes.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            weight_sum = totals[-2] + totals[-1]
            pooled = (means[-2] * totals[-2] + means[-1] * totals[-1]) / weight_sum
            size = sizes[-2] + sizes[-1]
            del means[-1], totals[-1], sizes[-1]
            means[-1], totals[-1], sizes[-1] = pooled, weight_sum, size
    return np.repeat(means, sizes)


def monotonicity_bins(gaps: np.ndarray, buys: np.ndarray,
                      bins: int = DEFAULT_BINS) -> pd.DataFrame:
    """Return the quantile bins of p - q with their buy rate and its isotonic fit.

    Columns: bin, n, gap_low, gap_high (the bin's smallest and largest gap), gap_mean,
    buy_rate, isotonic.
    """
    gaps = np.asarray(gaps, dtype=float)
    buys = np.asarray(buys, dtype=float)
    columns = ["bin", "n", "gap_low", "gap_high", "gap_mean", "buy_rate", "isotonic"]
    if len(gaps) == 0:
        return pd.DataFrame(columns=columns)
    if bins < 1:
        raise ValueError(f"bins {bins!r} is invalid: use at least 1")

    edges = np.unique(np.quantile(gaps, np.linspace(0, 1, bins + 1)))
    index = np.searchsorted(edges[1:-1], gaps, side="right")
    rows = []
    for number in np.unique(index):
        members = index == number
        rows.append({"bin": int(number), "n": int(members.sum()),
                     "gap_low": float(gaps[members].min()),
                     "gap_high": float(gaps[members].max()),
                     "gap_mean": float(gaps[members].mean()),
                     "buy_rate": float(buys[members].mean())})
    table = pd.DataFrame(rows, columns=columns[:-1])
    table["isotonic"] = isotonic_fit(table["buy_rate"].to_numpy(), table["n"].to_numpy())
    return table


def monotonicity_test(gaps: np.ndarray, buys: np.ndarray,
                      bins: int = DEFAULT_BINS) -> dict[str, float | int]:
    """Return the monotonicity violation and the number of violating adjacent bins.

    Keys: n (triples), bins (non-empty bins used), violation, violating_pairs, max_drop
    (the largest fall in buy rate between adjacent bins, 0 when none falls).
    """
    table = monotonicity_bins(gaps, buys, bins)
    if table.empty:
        return {"n": 0, "bins": 0, "violation": float("nan"), "violating_pairs": 0,
                "max_drop": float("nan")}
    weights = table["n"].to_numpy(float)
    rates = table["buy_rate"].to_numpy(float)
    fitted = table["isotonic"].to_numpy(float)
    drops = rates[:-1] - rates[1:]
    return {
        "n": int(weights.sum()),
        "bins": len(table),
        "violation": float(np.sum(weights * (rates - fitted) ** 2) / weights.sum()),
        "violating_pairs": int(np.sum(drops > 0)),
        "max_drop": float(max(drops.max(), 0.0)) if len(drops) else 0.0,
    }


# Logistic regression


def logit(probabilities: np.ndarray, clip: float = CLIP) -> np.ndarray:
    """Return log(p / (1 - p)) with p clipped to [clip, 1 - clip]."""
    clipped = np.clip(np.asarray(probabilities, dtype=float), clip, 1 - clip)
    return np.log(clipped / (1 - clipped))


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * values))


def fit_logistic(features: np.ndarray, outcomes: np.ndarray, ridge: float = RIDGE,
                 max_iterations: int = 100, tolerance: float = 1e-10) -> np.ndarray:
    """Fit a logistic regression by Newton's method and return [intercept, slopes...].

    `features` is (n, k) without the intercept column. The L2 penalty `ridge` applies
    to the slopes, and the intercept gets only 1e-8.
    """
    features = np.asarray(features, dtype=float)
    if features.ndim == 1:
        features = features[:, None]
    outcomes = np.asarray(outcomes, dtype=float)
    design = np.column_stack([np.ones(len(features)), features])
    penalty = np.full(design.shape[1], ridge)
    # A tiny penalty on the intercept keeps Newton finite when every outcome is equal.
    penalty[0] = 1e-8

    coefficients = np.zeros(design.shape[1])
    for _ in range(max_iterations):
        fitted = _sigmoid(design @ coefficients)
        weights = fitted * (1 - fitted)
        gradient = design.T @ (outcomes - fitted) - penalty * coefficients
        hessian = design.T @ (design * weights[:, None]) + np.diag(penalty)
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        coefficients = coefficients + step
        if np.max(np.abs(step)) < tolerance:
            break
    return coefficients


def predict_logistic(coefficients: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Return the fitted probabilities for `features` (n, k) without the intercept column."""
    features = np.asarray(features, dtype=float)
    if features.ndim == 1:
        features = features[:, None]
    return _sigmoid(coefficients[0] + features @ coefficients[1:])


def _log_losses(probabilities: np.ndarray, outcomes: np.ndarray) -> np.ndarray:
    clipped = np.clip(probabilities, CLIP, 1 - CLIP)
    return -(outcomes * np.log(clipped) + (1 - outcomes) * np.log(1 - clipped))


def sufficiency_test(triples: pd.DataFrame, rng: np.random.Generator,
                     folds: int = DEFAULT_FOLDS, replicates: int = DEFAULT_REPLICATES,
                     level: float = DEFAULT_LEVEL) -> dict[str, float | int]:
    """Return the out-of-sample log-loss gain of adding the action to p and q.

    `triples` has columns session, probability, price (YES cents), buy and outcome
    (1.0 or 0.0). Rows with a missing belief or outcome are dropped. With fewer than
    two sessions there is no held-out session and every score is NaN. The sessions are
    shuffled into min(folds, sessions) folds with `rng`.
    """
    usable = triples[triples["probability"].notna() & triples["outcome"].notna()]
    sessions = np.array(sorted(usable["session"].unique()))
    result: dict[str, float | int] = {
        "n": len(usable), "sessions": len(sessions), "folds": 0,
        "base_log_loss": float("nan"), "full_log_loss": float("nan"),
        "gain": float("nan"), "gain_low": float("nan"), "gain_high": float("nan"),
    }
    if len(sessions) < 2:
        return result

    base = np.column_stack([logit(usable["probability"].to_numpy(float)),
                            logit(usable["price"].to_numpy(float) / 100)])
    full = np.column_stack([base, usable["buy"].to_numpy(float)])
    outcomes = usable["outcome"].to_numpy(float)
    labels = usable["session"].to_numpy()

    fold_count = min(folds, len(sessions))
    fold_of_session = dict(zip(rng.permutation(sessions),
                               np.arange(len(sessions)) % fold_count, strict=True))
    fold = np.array([fold_of_session[label] for label in labels])

    base_losses = np.empty(len(usable))
    full_losses = np.empty(len(usable))
    for number in range(fold_count):
        test = fold == number
        train = ~test
        for features, losses in ((base, base_losses), (full, full_losses)):
            coefficients = fit_logistic(features[train], outcomes[train])
            losses[test] = _log_losses(predict_logistic(coefficients, features[test]),
                                       outcomes[test])

    gain = mean_estimate(base_losses - full_losses, labels, rng, replicates, level)
    result.update({
        "folds": fold_count,
        "base_log_loss": float(base_losses.mean()),
        "full_log_loss": float(full_losses.mean()),
        "gain": gain.value,
        "gain_low": gain.low,
        "gain_high": gain.high,
    })
    return result
