"""Calibration of probabilities against outcomes: Brier score, log loss, ECE, Brier skill.

For forecasts p_i of YES and outcomes y_i in {0, 1}, over N forecasts:

    Brier score  BS  = (1/N) sum (p_i - y_i)^2
    log loss     LL  = -(1/N) sum [y_i ln p_i + (1 - y_i) ln(1 - p_i)],  p clipped to
                       [1e-6, 1 - 1e-6] so a confident miss costs ln(1e6) ~ 13.8, not inf
    ECE              = sum over bins b of (n_b / N) |mean(y in b) - mean(p in b)|, with 10
                       equal-width bins [0, 0.1), [0.1, 0.2), ..., [0.9, 1.0] (1.0 falls in
                       the last bin)
    Brier skill      = 1 - BS(forecast) / BS(market), with the market's final price as the
                       reference forecast on the same questions: above 0 beats the market.

Annulled and unresolved sessions have no outcome and are left out of every score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.oracle.bootstrap import DEFAULT_LEVEL, DEFAULT_REPLICATES, ratio_estimate

LOG_LOSS_CLIP = 1e-6
ECE_BINS = 10


def brier_score(probabilities: np.ndarray, outcomes: np.ndarray) -> float:
    """Return the mean squared error of probabilities against 0/1 outcomes (NaN when empty)."""
    probabilities, outcomes = _arrays(probabilities, outcomes)
    if len(probabilities) == 0:
        return float("nan")
    return float(np.mean((probabilities - outcomes) ** 2))


def log_loss(probabilities: np.ndarray, outcomes: np.ndarray,
             clip: float = LOG_LOSS_CLIP) -> float:
    """Return the mean negative log-likelihood, probabilities clipped to [clip, 1 - clip]."""
    probabilities, outcomes = _arrays(probabilities, outcomes)
    if len(probabilities) == 0:
        return float("nan")
    clipped = np.clip(probabilities, clip, 1 - clip)
    return float(-np.mean(outcomes * np.log(clipped) + (1 - outcomes) * np.log(1 - clipped)))


def bin_index(probabilities: np.ndarray, bins: int = ECE_BINS) -> np.ndarray:
    """Return each probability's equal-width bin in 0..bins-1 (1.0 goes to the last bin)."""
    probabilities = np.asarray(probabilities, dtype=float)
    return np.minimum((probabilities * bins).astype(int), bins - 1)


def reliability_bins(probabilities: np.ndarray, outcomes: np.ndarray,
                     bins: int = ECE_BINS) -> pd.DataFrame:
    """Return one row per non-empty equal-width bin: edges, count, mean forecast, frequency."""
    probabilities, outcomes = _arrays(probabilities, outcomes)
    index = bin_index(probabilities, bins)
    rows = []
    for number in range(bins):
        members = index == number
        count = int(members.sum())
        if count == 0:
            continue
        rows.append({"bin": number, "low": number / bins, "high": (number + 1) / bins,
                     "n": count, "mean_probability": float(probabilities[members].mean()),
                     "frequency": float(outcomes[members].mean())})
    return pd.DataFrame(rows, columns=["bin", "low", "high", "n", "mean_probability",
                                       "frequency"])


def expected_calibration_error(probabilities: np.ndarray, outcomes: np.ndarray,
                               bins: int = ECE_BINS) -> float:
    """Return the count-weighted mean gap between forecast and frequency over equal-width bins."""
    table = reliability_bins(probabilities, outcomes, bins)
    if table.empty:
        return float("nan")
    weights = table["n"] / table["n"].sum()
    return float((weights * (table["frequency"] - table["mean_probability"]).abs()).sum())


def brier_skill(probabilities: np.ndarray, reference: np.ndarray, outcomes: np.ndarray) -> float:
    """Return 1 - BS(probabilities) / BS(reference) over the same outcomes.

    NaN when empty or when the reference is perfect (BS = 0), where the ratio is undefined.
    """
    forecast = brier_score(probabilities, outcomes)
    baseline = brier_score(reference, outcomes)
    if np.isnan(forecast) or np.isnan(baseline) or baseline == 0:
        return float("nan")
    return 1 - forecast / baseline


CALIBRATION_COLUMNS = ("belief", "n", "sessions", "brier", "brier_low", "brier_high",
                       "log_loss", "ece", "brier_skill", "skill_n")


def score_forecasts(forecasts: pd.DataFrame, rng: np.random.Generator,
                    replicates: int = DEFAULT_REPLICATES,
                    level: float = DEFAULT_LEVEL) -> dict[str, float | int]:
    """Return the scores of one group of forecasts.

    `forecasts` has columns `session`, `probability`, `outcome` and `market` (the
    session's final price as a probability, NaN when the session had none). Rows with
    a missing probability or outcome are left out. The Brier score gets a bootstrap
    interval that resamples sessions, then forecasts inside them. Brier skill uses
    only forecasts whose session has a market price (`skill_n` of them).
    """
    usable = forecasts[forecasts["probability"].notna() & forecasts["outcome"].notna()]
    probabilities = usable["probability"].to_numpy(float)
    outcomes = usable["outcome"].to_numpy(float)
    sessions = usable["session"].to_numpy()

    brier = ratio_estimate((probabilities - outcomes) ** 2, np.ones(len(usable)), sessions, rng,
                           replicates, level)
    paired = usable[usable["market"].notna()]
    return {
        "n": len(usable),
        "sessions": int(usable["session"].nunique()),
        "brier": brier.value,
        "brier_low": brier.low,
        "brier_high": brier.high,
        "log_loss": log_loss(probabilities, outcomes),
        "ece": expected_calibration_error(probabilities, outcomes),
        "brier_skill": brier_skill(paired["probability"].to_numpy(float),
                                   paired["market"].to_numpy(float),
                                   paired["outcome"].to_numpy(float)),
        "skill_n": len(paired),
    }


def _arrays(probabilities: np.ndarray, outcomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    probabilities = np.asarray(probabilities, dtype=float)
    outcomes = np.asarray(outcomes, dtype=float)
    if probabilities.shape != outcomes.shape:
        raise ValueError(f"{len(probabilities)} probabilities for {len(outcomes)} outcomes: "
                         "pass one probability per outcome")
    return probabilities, outcomes
