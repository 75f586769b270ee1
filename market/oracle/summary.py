"""Grouped oracle metrics with bootstrap intervals: per agent and session, per session, pooled.

`summarize` pools the observation tables over any grouping of agent-sessions: by
(session, agent), by session (all agents of a session), by agent id over sessions, or
by agent kind over sessions. Each metric is a ratio of sums, a mean or a sum over its
own observations, given with its percentile interval and its n:

- contradiction_rate: contradictory / judged fills, over fills with a stated belief;
  contradiction_volume_rate: the same in shares.
- high_confidence_rate, high_confidence_volume_rate: the same two among fills made at
  a belief with abs(p - 0.5) >= 0.3 (the default threshold).
- static_contradiction_rate: the same flag under the static belief.
- expected_loss, expected_value: sums in cents over judged fills (see
  `market.oracle.metrics`).
- against_own_prediction: share of agent-sessions with a stated belief.
- kelly_gap: mean of held minus Kelly fraction, over agent-sessions where Kelly
  sizing is defined.
- drift_abs, drift_signed: means of abs(stated - static) and stated - static, over
  statements made with a static belief.
- revealed_outside_share: share of statements outside the revealed interval, over
  statements made after the agent's first fill.
- revealed_empty_share: share of those statements made while the interval was empty.
- impact: sum of mid_after - mid_before in cents, over taker orders with both mids.
- impact_toward_share: share toward, over taker orders that moved the mid toward or
  away from the stated belief.

Intervals resample observations within one session, and for groups that span several
sessions (`clustered=True`) they resample sessions first and observations inside them
(see `market.oracle.bootstrap`). Each family of observations is resampled once per
group, and a metric over a subset (fills with a stated belief, high-confidence fills)
is a ratio of sums of columns weighted 0 or 1, so the subset's size varies from
replicate to replicate as it would in new data. A group in which the agents never
stated a belief gets NaN for every belief-based metric, with n = 0, never 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from market.oracle.bootstrap import DEFAULT_LEVEL, DEFAULT_REPLICATES, Estimate, Resample


@dataclass(frozen=True)
class Observations:
    """The oracle's observation tables, over one or many sessions."""

    fills: pd.DataFrame
    statements: pd.DataFrame
    taker_orders: pd.DataFrame
    agent_sessions: pd.DataFrame


_Resampler = Callable[[pd.DataFrame, dict[str, np.ndarray]], Resample]
"""A function that draws one Resample of columns over a frame's rows, clustered or not."""


@dataclass(frozen=True)
class _Settings:
    """The resampling settings shared by every estimate of one summary."""

    rng: np.random.Generator
    replicates: int
    level: float


def summarize(observations: Observations, by: Sequence[str], clustered: bool,
              rng: np.random.Generator, replicates: int = DEFAULT_REPLICATES,
              level: float = DEFAULT_LEVEL) -> pd.DataFrame:
    """Return one row per group of agent-sessions with every metric, its interval and n.

    `by` names columns of the agent-session table (e.g. ["session", "agent"], ["kind"]).
    `clustered` resamples sessions as well, for groups that span several sessions.
    Groups are sorted by their keys, and the intervals depend on `rng`'s state.
    """
    by = list(by)
    settings = _Settings(rng, replicates, level)
    agent_sessions = observations.agent_sessions
    if agent_sessions.empty:
        return pd.DataFrame(columns=[*by, *SUMMARY_COLUMNS])

    tables = {
        "fills": observations.fills,
        "statements": observations.statements,
        "taker_orders": observations.taker_orders,
        "agent_sessions": agent_sessions,
    }
    indices = {name: _group_indices(table, by) for name, table in tables.items()}

    rows = []
    for key in sorted(indices["agent_sessions"]):
        parts = {name: tables[name].iloc[indices[name].get(key, [])] for name in tables}
        row = dict(zip(by, key, strict=True))
        row.update(_group_row(parts, clustered, settings))
        rows.append(row)
    columns = [*by, *(column for column in SUMMARY_COLUMNS if column not in by)]
    return pd.DataFrame(rows, columns=columns)


def _group_indices(table: pd.DataFrame, by: list[str]) -> dict[tuple, np.ndarray]:
    if table.empty:
        return {}
    groups = table.groupby(by, sort=False, dropna=False).indices
    return {key if isinstance(key, tuple) else (key,): value for key, value in groups.items()}


def _group_row(parts: dict[str, pd.DataFrame], clustered: bool,
               settings: _Settings) -> dict[str, object]:
    fills = parts["fills"]
    statements = parts["statements"]
    orders = parts["taker_orders"]
    agent_sessions = parts["agent_sessions"]

    def resample(frame: pd.DataFrame, columns: dict[str, np.ndarray]) -> Resample:
        clusters = frame["session"].to_numpy() if clustered else None
        return Resample(columns, clusters, settings.rng, settings.replicates, settings.level)

    row: dict[str, object] = {
        "kind": ",".join(sorted(agent_sessions["kind"].astype(str).unique())),
        "sessions": int(agent_sessions["session"].nunique()),
        "agent_sessions": len(agent_sessions),
        "fills": len(fills),
        "volume": int(fills["quantity"].sum()),
    }
    row.update(_fill_metrics(fills, resample, bool(agent_sessions["stated"].notna().any())))
    row.update(_position_metrics(agent_sessions, resample))
    row.update(_statement_metrics(statements, resample))
    row.update(_impact_metrics(orders, resample))
    return row


def _fill_metrics(fills: pd.DataFrame, resample: _Resampler,
                  stated_any: bool) -> dict[str, object]:
    """Contradiction rates and expected value under the stated belief, in cents."""
    judged = _indicator(fills["contradictory"].notna())
    flags = _indicator(fills["contradictory"])
    high = _indicator(fills["high_confidence"])
    static_judged = _indicator(fills["contradictory_static"].notna())
    static_flags = _indicator(fills["contradictory_static"])
    quantities = fills["quantity"].to_numpy(float)
    cents = 100 * fills["ev_stated"].fillna(0.0).to_numpy(float) * quantities

    draws = resample(fills, {
        "judged": judged, "flags": flags, "volume": judged * quantities,
        "flag_volume": flags * quantities, "high": high, "high_flags": high * flags,
        "high_volume": high * quantities, "high_flag_volume": high * flags * quantities,
        "static_judged": static_judged, "static_flags": static_flags,
        "loss": np.where(flags == 1, -cents, 0.0), "value": cents,
    })
    judged_n, high_n = int(judged.sum()), int(high.sum())
    row: dict[str, object] = {"judged_fills": judged_n, "high_confidence_fills": high_n,
                              "static_judged_fills": int(static_judged.sum())}
    _put(row, "contradiction_rate", draws.ratio("flags", "judged", judged_n))
    _put(row, "contradiction_volume_rate", draws.ratio("flag_volume", "volume", judged_n))
    _put(row, "high_confidence_rate", draws.ratio("high_flags", "high", high_n))
    _put(row, "high_confidence_volume_rate",
         draws.ratio("high_flag_volume", "high_volume", high_n))
    _put(row, "static_contradiction_rate",
         draws.ratio("static_flags", "static_judged", row["static_judged_fills"]))

    # A sum over no fills is 0, but only for agents that stated a belief to judge them by.
    if stated_any:
        _put(row, "expected_loss", draws.total("loss", judged_n))
        _put(row, "expected_value", draws.total("value", judged_n))
    else:
        _put(row, "expected_loss", _MISSING)
        _put(row, "expected_value", _MISSING)
    return row


def _position_metrics(agent_sessions: pd.DataFrame, resample: _Resampler) -> dict[str, object]:
    """Final positions against the last stated belief, and the Kelly gap."""
    stated = _indicator(agent_sessions["against_own_prediction"].notna())
    against = _indicator(agent_sessions["against_own_prediction"])
    sized = _indicator(agent_sessions["kelly_gap"].notna())
    gaps = agent_sessions["kelly_gap"].fillna(0.0).to_numpy(float)
    draws = resample(agent_sessions, {"stated": stated, "against": against, "sized": sized,
                                      "gap": gaps})

    stated_n, sized_n = int(stated.sum()), int(sized.sum())
    row: dict[str, object] = {"stated_agent_sessions": stated_n, "kelly_n": sized_n}
    _put(row, "against_own_prediction", draws.ratio("against", "stated", stated_n))
    _put(row, "kelly_gap", draws.ratio("gap", "sized", sized_n))
    sized_rows = agent_sessions[sized == 1]
    row["held_fraction"] = _mean(sized_rows["held_fraction"])
    row["kelly_fraction"] = _mean(sized_rows["kelly_fraction"])
    row["revealed_empty_sessions"] = int(_indicator(agent_sessions["revealed_empty"]).sum())
    return row


def _statement_metrics(statements: pd.DataFrame, resample: _Resampler) -> dict[str, object]:
    """Drift of stated beliefs from the static belief, and statements outside the interval."""
    drifting = _indicator(statements["drift"].notna())
    drift = statements["drift"].fillna(0.0).to_numpy(float)
    checked = _indicator(statements["outside"].notna())
    outside = _indicator(statements["outside"])
    empty = checked * _indicator(statements["revealed_empty"])
    draws = resample(statements, {"drifting": drifting, "drift": drift,
                                  "drift_abs": np.abs(drift), "checked": checked,
                                  "outside": outside, "empty": empty})

    drift_n, checked_n = int(drifting.sum()), int(checked.sum())
    row: dict[str, object] = {"statements": len(statements), "drift_n": drift_n,
                              "revealed_checked": checked_n}
    _put(row, "drift_abs", draws.ratio("drift_abs", "drifting", drift_n))
    _put(row, "drift_signed", draws.ratio("drift", "drifting", drift_n))
    _put(row, "revealed_outside_share", draws.ratio("outside", "checked", checked_n))
    _put(row, "revealed_empty_share", draws.ratio("empty", "checked", checked_n))
    return row


def _impact_metrics(orders: pd.DataFrame, resample: _Resampler) -> dict[str, object]:
    """Price impact of taker orders, and its direction relative to the stated belief."""
    moved = orders[orders["impact"].notna()]
    toward = _indicator(moved["toward"])
    directed = np.maximum(toward, _indicator(moved["away"]))
    draws = resample(moved, {"impact": moved["impact"].to_numpy(float), "toward": toward,
                             "directed": directed})

    row: dict[str, object] = {"taker_orders": len(moved),
                              "impact_directed": int(directed.sum())}
    _put(row, "impact", draws.total("impact", len(moved)))
    _put(row, "impact_toward_share", draws.ratio("toward", "directed", row["impact_directed"]))
    return row


_MISSING = Estimate(float("nan"), float("nan"), float("nan"), 0)


def _indicator(values: pd.Series) -> np.ndarray:
    """Return 1.0 where a (nullable) boolean series is True and 0.0 elsewhere, <NA> included."""
    return values.astype("boolean").fillna(False).to_numpy(dtype=float)


def _put(row: dict[str, object], name: str, estimate: Estimate) -> None:
    row[name] = estimate.value
    row[f"{name}_low"] = estimate.low
    row[f"{name}_high"] = estimate.high


def _mean(values: pd.Series) -> float:
    return float(values.mean()) if len(values) else float("nan")


def _with_interval(*names: str) -> tuple[str, ...]:
    return tuple(column for name in names for column in (name, f"{name}_low", f"{name}_high"))


SUMMARY_COLUMNS = (
    "kind", "sessions", "agent_sessions", "fills", "volume", "judged_fills",
    *_with_interval("contradiction_rate", "contradiction_volume_rate"),
    "high_confidence_fills",
    *_with_interval("high_confidence_rate", "high_confidence_volume_rate"),
    "static_judged_fills", *_with_interval("static_contradiction_rate"),
    *_with_interval("expected_loss", "expected_value"),
    "stated_agent_sessions", *_with_interval("against_own_prediction"),
    "kelly_n", *_with_interval("kelly_gap"), "held_fraction", "kelly_fraction",
    "statements", "drift_n", *_with_interval("drift_abs", "drift_signed"),
    "revealed_checked", *_with_interval("revealed_outside_share", "revealed_empty_share"),
    "revealed_empty_sessions",
    "taker_orders", *_with_interval("impact"), "impact_directed",
    *_with_interval("impact_toward_share"),
)
"""Columns of a summary row after its group keys."""
