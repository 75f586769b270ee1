"""PNG plots of a tournament: calibration curves, contradiction vs Brier, PnL per agent.

Figures are drawn on matplotlib's Agg canvas through `matplotlib.figure.Figure`, without
pyplot, so no global backend is set and no window opens.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from market.oracle.calibration import reliability_bins

CALIBRATION_BINS = 5
"""Equal-width bins per calibration curve: few, because an agent has one belief of each
kind per session."""
MIN_MARKER_AREA = 20
MAX_MARKER_AREA = 400
"""Marker areas in points^2 of the smallest and the largest calibration bin."""


def plot_calibration(agent_sessions: pd.DataFrame, path: Path) -> Path:
    """Plot each agent's reliability curve for static and stated beliefs.

    A point is one bin: mean belief (x) against the share of YES outcomes (y), its area
    proportional to the number of sessions in the bin (the largest bin of the figure
    gets MAX_MARKER_AREA). Annulled sessions are left out.
    """
    figure = Figure(figsize=(12, 5.5), layout="constrained")
    axes = figure.subplots(1, 2, sharey=True)
    outcomes = agent_sessions["outcome"].map({"yes": 1.0, "no": 0.0})
    agents = sorted(agent_sessions["agent"].unique())
    colors = agent_colors(agents)
    curves = {(belief, agent): _reliability(agent_sessions, outcomes, agent, belief)
              for belief in ("static", "stated") for agent in agents}
    largest = max((int(bins["n"].max()) for bins, _ in curves.values() if len(bins)), default=1)
    for axis, belief, title in ((axes[0], "static", "Static belief (before trading)"),
                                (axes[1], "stated", "Last stated belief")):
        axis.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1,
                  label="perfect calibration")
        for agent in agents:
            bins, count = curves[(belief, agent)]
            if not count:
                continue
            color = colors[agent]
            axis.plot(bins["mean_probability"], bins["frequency"], color=color, linewidth=1.5,
                      alpha=0.85, label=f"{agent} (n={count})")
            axis.scatter(bins["mean_probability"], bins["frequency"],
                         s=MIN_MARKER_AREA + (MAX_MARKER_AREA - MIN_MARKER_AREA)
                         * bins["n"] / largest,
                         color=color, alpha=0.75, edgecolors="white", linewidths=0.5)
        axis.set_title(title)
        axis.set_xlabel("belief in YES (bin mean)")
        axis.set_xlim(-0.02, 1.02)
        axis.set_ylim(-0.02, 1.02)
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("share of questions resolved YES")
    handles, labels = axes[1].get_legend_handles_labels()
    if len(labels) <= 1:
        handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right center", fontsize=8,
                  title="agent (sessions)")
    figure.suptitle(f"Calibration per agent ({CALIBRATION_BINS} equal-width bins, marker area "
                    "proportional to the sessions in the bin)")
    figure.savefig(path, dpi=120)
    return path


def _reliability(agent_sessions: pd.DataFrame, outcomes: pd.Series, agent: str,
                 belief: str) -> tuple[pd.DataFrame, int]:
    """Return an agent's reliability bins for one belief kind and the number of sessions."""
    rows = agent_sessions["agent"] == agent
    probabilities = agent_sessions.loc[rows, belief].to_numpy(float)
    observed = outcomes[rows].to_numpy(float)
    usable = np.isfinite(probabilities) & np.isfinite(observed)
    bins = reliability_bins(probabilities[usable], observed[usable], CALIBRATION_BINS)
    return bins, int(usable.sum())


def plot_contradiction_vs_brier(agents: pd.DataFrame, path: Path) -> Path:
    """Scatter each agent's contradiction rate against the Brier score of its stated belief.

    Error bars are the 95% bootstrap intervals on both axes. Agents with no judged fill or
    no stated belief have no point and are named below the plot.
    """
    figure = Figure(figsize=(9.5, 6), layout="constrained")
    axis = figure.subplots()
    usable = agents[agents["contradiction_rate"].notna() & agents["brier_stated"].notna()]
    colors = agent_colors(sorted(agents["agent"]))
    for _, row in usable.sort_values("agent").iterrows():
        color = colors[row["agent"]]
        x, y = row["brier_stated"], 100 * row["contradiction_rate"]
        x_error = [[max(x - row["brier_stated_low"], 0)], [max(row["brier_stated_high"] - x, 0)]]
        y_error = [[max(y - 100 * row["contradiction_rate_low"], 0)],
                   [max(100 * row["contradiction_rate_high"] - y, 0)]]
        # A legend rather than labels, because agents with no contradiction overlap at 0.
        axis.errorbar([x], [y], xerr=x_error, yerr=y_error, fmt="o", color=color, capsize=3,
                      markersize=7, alpha=0.8, label=f"{row['agent']} ({row['kind']})")
    axis.axvline(0.25, color="0.6", linestyle=":", linewidth=1)
    axis.text(0.25, 0.99, "p = 0.5 always ", transform=axis.get_xaxis_transform(),
              fontsize=7, color="0.4", va="top", ha="right")
    axis.set_xlabel("Brier score of the last stated belief (lower is better calibrated)")
    axis.set_ylabel("contradictory fills (% of judged fills)")
    axis.set_ylim(bottom=-3, top=max(103, axis.get_ylim()[1]))
    axis.set_xlim(left=0)
    axis.grid(alpha=0.3)
    axis.set_title("Action-belief gap vs calibration, per agent (95% intervals)")
    if len(usable):
        figure.legend(loc="outside right center", fontsize=8, title="agent (kind)")
    missing = sorted(set(agents["agent"]) - set(usable["agent"]))
    if missing:
        figure.text(0.01, 0.005, "no point (no judged fill or no stated belief): "
                    + ", ".join(missing), fontsize=7, color="0.3")
    figure.savefig(path, dpi=120)
    return path


def plot_pnl(agent_sessions: pd.DataFrame, path: Path) -> Path:
    """Plot the distribution of session PnL per agent: a box per agent with every session
    as a dot, agents ordered by mean PnL."""
    order = (agent_sessions.groupby("agent")["pnl_usd"].mean()
             .sort_values(ascending=False).index.tolist())
    figure = Figure(figsize=(max(7, 0.9 * len(order) + 3), 5.5), layout="constrained")
    axis = figure.subplots()
    values = [agent_sessions.loc[agent_sessions["agent"] == agent, "pnl_usd"].to_numpy(float)
              for agent in order]
    axis.boxplot(values, tick_labels=order, showfliers=False, widths=0.6,
                 medianprops={"color": "black"})
    rng = np.random.default_rng(0)
    colors = agent_colors(sorted(order))
    for position, (agent, data) in enumerate(zip(order, values, strict=True), start=1):
        color = colors[agent]
        jitter = rng.uniform(-0.15, 0.15, len(data))
        axis.scatter(position + jitter, data, s=14, color=color, alpha=0.7, zorder=3)
        axis.scatter([position], [data.mean()], marker="D", s=30, color="black", zorder=4)
    axis.axhline(0, color="0.5", linewidth=1)
    axis.set_ylabel("PnL per session (USD)")
    axis.set_title("Session PnL per agent (box: quartiles; diamond: mean; dots: sessions)")
    axis.tick_params(axis="x", labelrotation=30)
    axis.grid(axis="y", alpha=0.3)
    figure.savefig(path, dpi=120)
    return path


def agent_colors(agents: list[str]) -> dict[str, tuple[float, float, float, float]]:
    """Return one color per agent, by sorted position, so each plot colors an agent alike."""
    from matplotlib import colormaps

    palette = colormaps["tab10" if len(agents) <= 10 else "tab20"]
    return {agent: palette(index % palette.N) for index, agent in enumerate(sorted(agents))}
