"""Percentile bootstrap intervals for sums, means and ratios of sums.

Every oracle rate is a ratio of sums over observations (fills, statements, orders or
agent-sessions): a contradiction rate by count is sum(flag) / sum(1), by volume
sum(flag * quantity) / sum(quantity). `resample_sums` draws the bootstrap replicates of
several such sums at once, so a ratio and its parts come from the same resample.

Resampling scheme. Observations may carry a cluster label (the session). Each
replicate first draws as many clusters as there are, uniformly with replacement, and
then, inside every drawn cluster, as many observations as the cluster has, again with
replacement (a two-stage bootstrap). A cluster drawn twice gets two independent
inner resamples. With a single cluster, which is the case for one session, this is
the ordinary bootstrap of observations. Drawing the sessions captures the dependence
of fills within a session (one question, one price path). Resampling inside them as
well counts the within-session variance a second time, so the pooled intervals lean
wide rather than narrow when there are many sessions.

The interval is the percentile interval: the (1 - level) / 2 and (1 + level) / 2
quantiles of the replicates. When every observation has the same value, every
replicate has it too and the interval has zero width (for example [0, 0] for an agent
with no contradictory fill), however few the observations. Read such an interval
together with its n.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_REPLICATES = 2000
DEFAULT_LEVEL = 0.95

_MAX_CELLS = 4_000_000
"""Largest replicates x observations block drawn at once, to bound memory (8 bytes each)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point estimate with its bootstrap percentile interval and sample size.

    `value`, `low` and `high` are NaN when there is nothing to estimate (n = 0).
    """

    value: float
    low: float
    high: float
    n: int


def as_generator(rng: np.random.Generator | int) -> np.random.Generator:
    """Return `rng` itself, or a new generator seeded with the int `rng`."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng {rng!r} is invalid: pass a numpy.random.Generator or an int seed")


def resample_sums(values: np.ndarray, clusters: np.ndarray | None, rng: np.random.Generator,
                  replicates: int = DEFAULT_REPLICATES) -> np.ndarray:
    """Return a (replicates, k) array: each row the column sums of one bootstrap resample.

    `values` is an (n, k) array of observations and `clusters` an optional length-n
    array of cluster labels. The scheme is the two-stage bootstrap in this module's
    docstring.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if replicates < 1:
        raise ValueError(f"replicates {replicates!r} is invalid: use at least 1")
    sums = np.zeros((replicates, values.shape[1]))
    if len(values) == 0:
        return sums

    if clusters is None:
        groups = [np.arange(len(values))]
    else:
        labels = np.asarray(clusters)
        if len(labels) != len(values):
            raise ValueError(f"clusters has {len(labels)} labels for {len(values)} "
                             "observations: pass one label per observation")
        _, inverse = np.unique(labels, return_inverse=True)
        groups = [np.flatnonzero(inverse == index) for index in range(inverse.max() + 1)]

    # Stage one: how many times each cluster is drawn in each replicate.
    cluster_count = len(groups)
    if cluster_count == 1:
        draws = np.ones((replicates, 1), dtype=np.int64)
    else:
        draws = rng.multinomial(cluster_count, np.full(cluster_count, 1 / cluster_count),
                                size=replicates)

    # Stage two: a cluster drawn k times in a replicate adds k * size draws from it. The
    # draws become a (replicates x size) count matrix, so one product sums every column.
    for index, members in enumerate(groups):
        size = len(members)
        cluster_values = values[members]
        block = max(1, _MAX_CELLS // size)
        for start in range(0, replicates, block):
            stop = min(start + block, replicates)
            lengths = draws[start:stop, index] * size
            replicate = np.repeat(np.arange(stop - start) * size, lengths)
            picked = rng.integers(0, size, size=int(lengths.sum()))
            counts = np.bincount(replicate + picked, minlength=(stop - start) * size)
            sums[start:stop] += counts.reshape(stop - start, size) @ cluster_values
    return sums


def percentile_interval(samples: np.ndarray, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Return the percentile interval of bootstrap replicates, ignoring NaN replicates."""
    if not 0 < level < 1:
        raise ValueError(f"level {level!r} is invalid: use a coverage in (0, 1), e.g. 0.95")
    finite = samples[np.isfinite(samples)]
    if len(finite) == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


class Resample:
    """Bootstrap replicates of several named column sums, drawn from one resample.

    Ratios and totals taken from one Resample share its draws, so the rates of one
    group (by count, by volume, among high-confidence fills) move together from
    replicate to replicate. A subset (say, high-confidence fills) is a 0/1 column that
    multiplies the others, so its size varies across replicates as it would in new data.
    """

    def __init__(self, columns: dict[str, np.ndarray], clusters: np.ndarray | None,
                 rng: np.random.Generator, replicates: int = DEFAULT_REPLICATES,
                 level: float = DEFAULT_LEVEL) -> None:
        self.names = list(columns)
        matrix = np.column_stack([np.asarray(columns[name], dtype=float) for name in self.names])
        self.totals = dict(zip(self.names, matrix.sum(axis=0), strict=True))
        sums = resample_sums(matrix, clusters, rng, replicates)
        self.samples = {name: sums[:, index] for index, name in enumerate(self.names)}
        self.level = level

    def ratio(self, numerator: str, denominator: str, n: int) -> Estimate:
        """Estimate sum(numerator) / sum(denominator); NaN when the denominator sums to 0."""
        total = self.totals[denominator]
        if total == 0:
            return Estimate(float("nan"), float("nan"), float("nan"), n)
        bottom = self.samples[denominator]
        ratios = np.full(len(bottom), np.nan)
        nonzero = bottom != 0
        ratios[nonzero] = self.samples[numerator][nonzero] / bottom[nonzero]
        low, high = percentile_interval(ratios, self.level)
        return Estimate(float(self.totals[numerator] / total), low, high, n)

    def total(self, name: str, n: int) -> Estimate:
        """Estimate sum(name)."""
        low, high = percentile_interval(self.samples[name], self.level)
        return Estimate(float(self.totals[name]), low, high, n)


def ratio_estimate(numerators: np.ndarray, denominators: np.ndarray,
                   clusters: np.ndarray | None, rng: np.random.Generator,
                   replicates: int = DEFAULT_REPLICATES,
                   level: float = DEFAULT_LEVEL) -> Estimate:
    """Estimate sum(numerators) / sum(denominators) with a bootstrap percentile interval.

    n is the number of observations. A replicate whose denominator sums to 0 is left out.
    """
    numerators = np.asarray(numerators, dtype=float)
    denominators = np.asarray(denominators, dtype=float)
    n = len(numerators)
    total = denominators.sum()
    if n == 0 or total == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), n)

    value = float(numerators.sum() / total)
    sums = resample_sums(np.column_stack([numerators, denominators]), clusters, rng,
                         replicates)
    ratios = np.full(replicates, np.nan)
    nonzero = sums[:, 1] != 0
    ratios[nonzero] = sums[nonzero, 0] / sums[nonzero, 1]
    low, high = percentile_interval(ratios, level)
    return Estimate(value, low, high, n)


def mean_estimate(values: np.ndarray, clusters: np.ndarray | None, rng: np.random.Generator,
                  replicates: int = DEFAULT_REPLICATES,
                  level: float = DEFAULT_LEVEL) -> Estimate:
    """Estimate the mean of `values` (NaN values dropped) with a bootstrap percentile interval."""
    values = np.asarray(values, dtype=float)
    keep = np.isfinite(values)
    labels = None if clusters is None else np.asarray(clusters)[keep]
    return ratio_estimate(values[keep], np.ones(int(keep.sum())), labels, rng, replicates,
                          level)


def sum_estimate(values: np.ndarray, clusters: np.ndarray | None, rng: np.random.Generator,
                 replicates: int = DEFAULT_REPLICATES,
                 level: float = DEFAULT_LEVEL) -> Estimate:
    """Estimate the total of `values` with a bootstrap percentile interval.

    With no observation the total is 0 with n = 0, because an empty sum is zero.
    """
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return Estimate(0.0, 0.0, 0.0, 0)
    sums = resample_sums(values, clusters, rng, replicates)[:, 0]
    low, high = percentile_interval(sums, level)
    return Estimate(float(values.sum()), low, high, n)
