"""Tournament tables built from an oracle report: the leaderboard and per-agent calibration."""

from __future__ import annotations

import pandas as pd

from market.oracle import OracleReport, reliability_bins


def leaderboard(report: OracleReport) -> pd.DataFrame:
    """Return one row per agent: PnL over the tournament, Brier scores and contradiction rates.

    PnL is the settlement PnL summed (and averaged) over the agent's sessions, in cents.
    """
    pnl = report.agent_sessions.groupby("agent")["pnl"].agg(["sum", "mean"]).rename(
        columns={"sum": "pnl_total", "mean": "pnl_mean"})
    columns = ["agent", "kind", "sessions", "judged_fills", "contradiction_rate",
               "contradiction_rate_low", "contradiction_rate_high", "high_confidence_rate",
               "high_confidence_fills", "brier_static", "brier_static_low",
               "brier_static_high", "brier_static_n", "brier_stated", "brier_stated_low",
               "brier_stated_high", "brier_stated_n"]
    board = report.agents[columns].merge(pnl, left_on="agent", right_index=True, how="left")
    return board.sort_values("pnl_total", ascending=False, na_position="last").reset_index(
        drop=True)


def agent_reliability(report: OracleReport, belief: str) -> pd.DataFrame:
    """Return each agent's reliability bins for one belief kind ("static" or "stated").

    The oracle's `reliability` table pools all agents, so the bins are computed here
    per agent with the oracle's own `reliability_bins`, over resolved sessions.
    """
    outcomes = report.sessions[["session", "outcome_value"]]
    forecasts = report.agent_sessions[["session", "agent", belief]].merge(
        outcomes, on="session", how="left")
    usable = forecasts[forecasts[belief].notna() & forecasts["outcome_value"].notna()]
    frames = []
    for agent_id, frame in usable.groupby("agent", sort=True):
        bins = reliability_bins(frame[belief].to_numpy(float),
                                frame["outcome_value"].to_numpy(float))
        bins.insert(0, "agent", agent_id)
        frames.append(bins)
    if not frames:
        return pd.DataFrame(columns=["agent", "bin", "low", "high", "n", "mean_probability",
                                     "frequency"])
    return pd.concat(frames, ignore_index=True)
