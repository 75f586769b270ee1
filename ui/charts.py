"""Altair charts of the replay app: the price chart and the oracle and tournament plots.

Streamlit draws them with Vega-Lite, which it ships, so the app needs no other
charting package in Python or in the browser.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ui.timeline import PAYOUT, Timeline

MAX_FLAG_MARKERS = 500
"""Contradiction markers drawn at most. Beyond it only the flags with the largest expected
loss are drawn, so that a long session's chart stays quick to send and draw."""

BAND_COLOR = "#4285f4"
PRICE = "#1f2937"
FLAG = "#d62728"


STAR = ("M0,-1L0.235,-0.324L0.951,-0.309L0.38,0.124L0.588,0.809L0,0.4L-0.588,0.809L-0.38,0.124"
        "L-0.951,-0.309L-0.235,-0.324Z")
"""A five-pointed star as a Vega-Lite point shape (an SVG path on the unit square)."""

CROSS = "M-1,-1L1,1M1,-1L-1,1"
"""An x of two strokes, the marker of a contradictory fill."""


def _until(times: np.ndarray, values: np.ndarray, count: int, t: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Return the first `count` points, extended by a point at t with the last value."""
    if count == 0:
        return np.zeros(0), np.zeros(0)
    return np.append(times[:count], t), np.append(values[:count], values[count - 1])


def price_chart(timeline: Timeline, t: float, colors: dict[str, str],
                shown_agents: list[str], fit: bool = False) -> dict[str, object]:
    """Return the price chart at time t as a Vega-Lite spec for `st.vega_lite_chart`.

    Lines from 0 to t: the last trade, the mid, and the stated probability * 100 of
    each agent in `shown_agents`, over the shaded bid/ask band. Static beliefs are open
    diamonds at 0, and the oracle's contradiction flags up to t are red crosses at the
    fill price. News releases are grey triangles along the top, the time t is a rule,
    and the outcome is a star at the horizon (100 for YES, 0 for NO). With `fit`,
    the price axis spans the lines of the whole session (so it stays put while
    playing) instead of 0..100, and an outcome outside it is written in the corner.

    The spec is a plain dict with its data as named DataFrames, which Streamlit sends
    as Arrow. Building it through Altair would validate it against the Vega-Lite JSON
    schema on every slider move, which costs about 0.2 s here.
    """
    chart = timeline.chart
    count = chart.count_at(t)
    low, high = _fitted_range(timeline, shown_agents) if fit else (0.0, 100.0)
    x = {"field": "t", "type": "quantitative", "title": "simulated seconds",
         "scale": {"domain": [-0.015 * timeline.horizon, timeline.horizon * 1.03],
                   "nice": False, "zero": False}}
    y_scale = {"domain": [low, high], "nice": False, "zero": False, "clamp": True}
    series_names = ["last trade", "mid", *shown_agents]
    series_colors = [PRICE, "#6b7280", *(colors.get(agent, "#888") for agent in shown_agents)]
    color = {"field": "series", "type": "nominal", "title": None, "sort": series_names,
             "scale": {"domain": series_names, "range": series_colors},
             "legend": {"orient": "bottom", "columns": 6, "symbolType": "stroke"}}
    datasets: dict[str, pd.DataFrame] = {}

    times, bid = _until(chart.times, chart.bid, count, t)
    _, ask = _until(chart.times, chart.ask, count, t)
    datasets["band"] = pd.DataFrame({"t": times, "bid": bid, "ask": ask})
    band = {"data": {"name": "band"}, "name": "band",
            "mark": {"type": "area", "interpolate": "step-after", "color": BAND_COLOR,
                     "opacity": 0.22},
            "encoding": {"x": x,
                         "y": {"field": "bid", "type": "quantitative", "scale": y_scale,
                               "title": "YES price (¢) · belief × 100"},
                         "y2": {"field": "ask"},
                         "tooltip": [_tip("bid", "best bid"), _tip("ask", "best ask")]}}

    frames = []
    for name, values in [("last trade", chart.last), ("mid", chart.mid),
                         *((agent, chart.beliefs.get(agent)) for agent in shown_agents)]:
        if values is None:
            continue
        line_times, line_values = _until(chart.times, values, count, t)
        frames.append(pd.DataFrame({"t": line_times, "value": line_values, "series": name}))
    datasets["lines"] = pd.concat(frames, ignore_index=True)
    lines = {"data": {"name": "lines"},
             "mark": {"type": "line", "interpolate": "step-after", "clip": True},
             "encoding": {"x": x, "y": _y("value", y_scale), "color": color,
                          "strokeWidth": {"condition": {"test": "datum.series === 'last trade'",
                                                        "value": 2.4}, "value": 1.4},
                          "strokeDash": {"condition": {"test": "datum.series === 'mid'",
                                                       "value": [4, 3]}, "value": [1, 0]},
                          "tooltip": [{"field": "series", "type": "nominal",
                                       "title": "line"}]}}
    layers = [band, lines]

    statics = [(agent, 100 * timeline.agents[agent].static) for agent in shown_agents
               if timeline.agents[agent].static is not None]
    if statics:
        datasets["statics"] = pd.DataFrame(statics, columns=["series", "value"]).assign(t=0.0)
        layers.append({
            "data": {"name": "statics"},
            "mark": {"type": "point", "shape": "diamond", "filled": False, "size": 90,
                     "strokeWidth": 2, "clip": True},
            "encoding": {"x": x, "y": _y("value", y_scale), "color": color,
                         "tooltip": [{"field": "series", "type": "nominal",
                                      "title": "static belief of"},
                                     _tip("value", "× 100", ".0f")]}})
    layers += _flag_layer(timeline, t, x, y_scale, datasets)
    layers += _news_layer(timeline, t, x, y_scale, high - (high - low) * 0.02, datasets)
    datasets["now"] = pd.DataFrame({"t": [t]})
    layers.append({"data": {"name": "now"}, "mark": {"type": "rule", "color": "#9ca3af"},
                   "encoding": {"x": x}})
    layers += _outcome_layer(timeline, x, y_scale, (low, high), datasets)
    return {
        "height": 560,
        "layer": layers,
        "datasets": datasets,
        # Dragging and scrolling zoom the time axis of the band layer and so the chart.
        "params": [{"name": "time_zoom", "select": {"type": "interval", "encodings": ["x"]},
                    "bind": "scales", "views": ["band"]}],
    }


def _y(field: str, scale: dict[str, object]) -> dict[str, object]:
    return {"field": field, "type": "quantitative", "scale": scale}


def _tip(field: str, title: str, number_format: str | None = None,
         kind: str = "quantitative") -> dict[str, object]:
    tip: dict[str, object] = {"field": field, "type": kind, "title": title}
    if number_format is not None:
        tip["format"] = number_format
    return tip


def _fitted_range(timeline: Timeline, shown_agents: list[str]) -> tuple[float, float]:
    """Return a price axis range around every line of the session, 5¢ of margin each side."""
    chart = timeline.chart
    series = [chart.bid, chart.ask, chart.last]
    series += [chart.beliefs[agent_id] for agent_id in shown_agents if agent_id in chart.beliefs]
    statics = [100 * timeline.agents[agent_id].static for agent_id in shown_agents
               if timeline.agents[agent_id].static is not None]
    values = np.concatenate([*series, statics, timeline.contradictions["price"].to_numpy()])
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return 0.0, 100.0
    return max(float(values.min()) - 5, 0.0), min(float(values.max()) + 5, 100.0)


def _flag_layer(timeline: Timeline, t: float, x: dict, y_scale: dict,
                datasets: dict[str, pd.DataFrame]) -> list[dict[str, object]]:
    flags = timeline.contradictions.iloc[:timeline.contradiction_count(t)]
    if flags.empty:
        return []
    if len(flags) > MAX_FLAG_MARKERS:
        flags = flags.nlargest(MAX_FLAG_MARKERS, "expected_loss")
    datasets["flags"] = pd.DataFrame({
        "t": flags["t"].to_numpy(), "price": flags["price"].to_numpy(),
        "agent": flags["agent"].to_numpy(object), "fill": flags["direction"].to_numpy(object),
        "quantity": flags["quantity"].to_numpy(), "belief": 100 * flags["belief"].to_numpy(),
        "value": 100 * flags["expected_value"].to_numpy()})
    return [{"data": {"name": "flags"},
             "mark": {"type": "point", "shape": CROSS, "color": FLAG, "size": 60,
                      "strokeWidth": 2.2, "clip": True},
             "encoding": {"x": x, "y": _y("price", y_scale),
                          "tooltip": [_tip("agent", "contradiction by", kind="nominal"),
                                      _tip("fill", "direction", kind="nominal"),
                                      _tip("quantity", "shares"), _tip("price", "price ¢"),
                                      _tip("belief", "stated belief × 100", ".0f"),
                                      _tip("value", "EV ¢/share", "+.1f"),
                                      _tip("t", "t (s)", ".1f")]}}]


def _news_layer(timeline: Timeline, t: float, x: dict, y_scale: dict, top: float,
                datasets: dict[str, pd.DataFrame]) -> list[dict[str, object]]:
    news = timeline.news.iloc[:timeline.news_count(t)]
    if news.empty:
        return []
    datasets["news"] = pd.DataFrame({
        "t": news["t"].to_numpy(), "y": top,
        "news": [text if len(text) <= 120 else text[:117] + "..."
                 for text in news["text"].tolist()]})
    return [{"data": {"name": "news"},
             "mark": {"type": "point", "shape": "triangle-down", "filled": True, "size": 110,
                      "color": "#9ca3af"},
             "encoding": {"x": x, "y": _y("y", y_scale),
                          "tooltip": [_tip("news", "news", kind="nominal"),
                                      _tip("t", "t (s)", ".0f")]}}]


def _outcome_layer(timeline: Timeline, x: dict, y_scale: dict,
                   price_range: tuple[float, float],
                   datasets: dict[str, pd.DataFrame]) -> list[dict[str, object]]:
    if timeline.outcome in ("yes", "no"):
        y = PAYOUT if timeline.outcome == "yes" else 0
        label = f"resolved {timeline.outcome.upper()}"
    elif timeline.outcome == "annulled":
        y = timeline.final_price if timeline.final_price is not None else 50
        label = "annulled"
    else:
        return []
    low, high = price_range
    if not low <= y <= high:
        # The outcome is off the fitted axis: name it in the top or bottom right corner.
        arrow = "↑" if y > high else "↓"
        datasets["outcome"] = pd.DataFrame({"t": [timeline.horizon * 1.03],
                                            "y": [high if y > high else low],
                                            "label": [f"{label} ({y:.0f}¢) {arrow}"]})
        return [{"data": {"name": "outcome"},
                 "mark": {"type": "text", "align": "right",
                          "baseline": "top" if y > high else "bottom", "dx": -4,
                          "color": "#92400e", "fontWeight": "bold"},
                 "encoding": {"x": x, "y": _y("y", y_scale),
                              "text": {"field": "label", "type": "nominal"}}}]
    datasets["outcome"] = pd.DataFrame({"t": [timeline.horizon], "y": [y], "label": [label]})
    position = {"x": x, "y": _y("y", y_scale)}
    return [{"data": {"name": "outcome"},
             "mark": {"type": "point", "shape": STAR, "filled": True, "size": 260,
                      "color": "#f59e0b", "stroke": "#92400e", "strokeWidth": 1},
             "encoding": {**position,
                          "tooltip": [_tip("label", "outcome", kind="nominal")]}},
            {"data": {"name": "outcome"},
             "mark": {"type": "text", "align": "right", "dx": -12,
                      "dy": -10 if y < 50 else 12, "color": "#92400e"},
             "encoding": {**position, "text": {"field": "label", "type": "nominal"}}}]


# Oracle and tournament plots


def rate_chart(agents: pd.DataFrame) -> alt.LayerChart:
    """Return each agent's contradiction rate as a bar with its bootstrap interval (%)."""
    frame = agents[agents["judged_fills"] > 0]
    data = pd.DataFrame({
        "agent": frame["agent"].to_numpy(object),
        "rate": 100 * frame["contradiction_rate"].to_numpy(float),
        "low": 100 * frame["contradiction_rate_low"].to_numpy(float),
        "high": 100 * frame["contradiction_rate_high"].to_numpy(float),
        "fills": frame["judged_fills"].to_numpy(),
    })
    y = alt.Y("agent:N", sort=alt.EncodingSortField("rate", order="descending"), title=None)
    x = alt.X("rate:Q", title="contradiction rate (%), bars: 95% bootstrap interval",
              scale=alt.Scale(domain=[0, 100]))
    tooltip = [alt.Tooltip("agent:N"), alt.Tooltip("rate:Q", format=".1f", title="rate %"),
               alt.Tooltip("low:Q", format=".1f", title="low %"),
               alt.Tooltip("high:Q", format=".1f", title="high %"),
               alt.Tooltip("fills:Q", title="judged fills")]
    base = alt.Chart(data).encode(y=y, tooltip=tooltip)
    bars = base.mark_bar(color="#6b7280", height={"band": 0.6}).encode(x=x)
    interval = base.mark_rule(color=PRICE, strokeWidth=2).encode(x="low:Q", x2="high:Q")
    return alt.layer(bars, interval).properties(height=max(120, 34 * len(data)))


def calibration_chart(bins: pd.DataFrame, colors: dict[str, str],
                      market: pd.DataFrame | None = None) -> alt.LayerChart:
    """Return reliability curves: observed YES frequency against mean forecast, per agent.

    `bins` has columns agent, mean_probability, frequency, n (one row per non-empty bin),
    and points grow with n. `market` adds the market's final price as a dashed line.
    """
    agents = list(dict.fromkeys(bins["agent"]))
    names = [*agents, "market final price"]
    color = alt.Color("agent:N", title=None, sort=names,
                      scale=alt.Scale(domain=names,
                                      range=[*(colors.get(agent, "#888") for agent in agents),
                                             PRICE]),
                      legend=alt.Legend(orient="bottom", columns=4))
    x = alt.X("mean_probability:Q", title="mean forecast in bin",
              scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("frequency:Q", title="observed YES frequency", scale=alt.Scale(domain=[0, 1]))
    tooltip = [alt.Tooltip("agent:N"),
               alt.Tooltip("mean_probability:Q", format=".2f", title="mean forecast"),
               alt.Tooltip("frequency:Q", format=".0%", title="resolved YES"),
               alt.Tooltip("n:Q", title="forecasts")]

    diagonal = alt.Chart(pd.DataFrame({"mean_probability": [0.0, 1.0],
                                       "frequency": [0.0, 1.0]})).mark_line(
        color="#9ca3af", strokeDash=[4, 4]).encode(x=x, y=y)
    frame = bins[["agent", "mean_probability", "frequency", "n"]].copy()
    if market is not None and not market.empty:
        market_bins = market[["mean_probability", "frequency", "n"]].assign(
            agent="market final price")
        frame = pd.concat([frame, market_bins], ignore_index=True)
    base = alt.Chart(frame).encode(x=x, y=y, color=color, tooltip=tooltip)
    lines = base.mark_line(strokeWidth=1.6).encode(
        strokeDash=alt.condition(alt.datum.agent == "market final price", alt.value([2, 2]),
                                 alt.value([1, 0])))
    points = base.mark_point(filled=True).encode(
        size=alt.Size("n:Q", title="forecasts", scale=alt.Scale(range=[30, 300]),
                      legend=None))
    return alt.layer(diagonal, lines, points).properties(height=420)


def gap_chart(leaderboard: pd.DataFrame, belief: str, colors: dict[str, str]
              ) -> alt.LayerChart:
    """Return contradiction rate against the Brier score of `belief`, one point per agent.

    Rules through each point span the 95% bootstrap intervals of both metrics.
    """
    frame = leaderboard[leaderboard[f"brier_{belief}"].notna()
                        & leaderboard["contradiction_rate"].notna()]
    data = pd.DataFrame({
        "agent": frame["agent"].to_numpy(object),
        "kind": frame["kind"].to_numpy(object),
        "brier": frame[f"brier_{belief}"].to_numpy(float),
        "brier_low": frame[f"brier_{belief}_low"].to_numpy(float),
        "brier_high": frame[f"brier_{belief}_high"].to_numpy(float),
        "rate": 100 * frame["contradiction_rate"].to_numpy(float),
        "rate_low": 100 * frame["contradiction_rate_low"].to_numpy(float),
        "rate_high": 100 * frame["contradiction_rate_high"].to_numpy(float),
    })
    agents = data["agent"].tolist()
    color = alt.Color("agent:N", legend=None, scale=alt.Scale(
        domain=agents, range=[colors.get(agent, "#888") for agent in agents]))
    x = alt.X("brier:Q", title=f"Brier score of {belief} beliefs (lower is better)",
              scale=alt.Scale(zero=False, padding=20))
    y = alt.Y("rate:Q", title="contradiction rate (%)", scale=alt.Scale(domain=[0, 100]))
    tooltip = [alt.Tooltip("agent:N"), alt.Tooltip("kind:N"),
               alt.Tooltip("brier:Q", format=".3f", title="Brier"),
               alt.Tooltip("rate:Q", format=".1f", title="contradictions %")]
    base = alt.Chart(data).encode(color=color, tooltip=tooltip)
    across = base.mark_rule(opacity=0.6).encode(x="brier_low:Q", x2="brier_high:Q", y=y)
    down = base.mark_rule(opacity=0.6).encode(x=x, y="rate_low:Q", y2="rate_high:Q")
    points = base.mark_point(filled=True, size=120).encode(x=x, y=y)
    labels = base.mark_text(dy=-12).encode(x=x, y=y, text="agent:N")
    return alt.layer(across, down, points, labels).properties(height=420)
