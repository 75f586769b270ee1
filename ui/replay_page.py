"""Replay page: one session at any simulated time t, with play/pause.

Query parameters `session` (id) and `t` (simulated seconds) open a given moment; the
oracle page links here with both. Everything from the play button down runs in a
fragment, so moving the slider reruns only that part, and playing reruns it every
FRAME_SECONDS. The list of flags to jump to stays above it, outside the fragment.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from ui import common
from ui.charts import MAX_FLAG_MARKERS, price_chart
from ui.loader import SessionNotFoundError, format_orders
from ui.timeline import Timeline, best_quotes, ladder

FRAME_SECONDS = 0.5
"""Wall-clock seconds between two frames while playing."""

SPEEDS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600]
"""Simulated seconds per wall-clock second offered by the speed control."""

TABLE_ROWS = 200
"""Rows of the trade tape, decision and flag lists: the latest ones up to t."""

MAX_CHART_AGENTS = 8
"""Belief lines drawn by default; more would crowd the chart."""

MAX_JUMP_OPTIONS = 500
"""Flags offered in the jump list; a longer session lists those with the largest expected
loss, and the previous/next buttons still step through every flag."""


def main() -> None:
    path = common.require_store()
    version = common.store_version(path)
    with common.store_errors(path):
        sessions = common.sessions_table(str(path), version)
    if sessions.empty:
        st.title("Replay")
        common.show_no_sessions(path)
        return

    session_id = _pick_session(sessions)
    info = sessions[sessions["id"] == session_id].iloc[0]
    question = info["question"] if pd.notna(info["question"]) else info["question_id"]
    st.markdown(f"### {question}")
    st.caption(f"Session `{session_id}` · seed {info['seed']} · {info['agent_count']} agents · "
               f"{info['events']:,} events · status **{info['status']}**"
               + (f" · tournament {info['tournament']}" if pd.notna(info["tournament"])
                  else ""))

    try:
        with common.store_errors(path):
            timeline = common.session_timeline(str(path), session_id, version)
    except SessionNotFoundError as error:
        st.error(f"{error}: pick another session in the sidebar.")
        return
    except ValueError as error:
        st.info(f"Nothing to replay yet: {error}. A run that is still starting writes its "
                "first events within seconds; reload the page then.")
        return

    _show_status(info, timeline)
    if timeline.end <= 0:
        st.info("The session has recorded no time yet: reload the page once its run has "
                "advanced.")
        return

    _init_state(session_id, timeline)
    _jump_list(timeline)
    belief_agents = _chart_agents(timeline)
    fit = st.sidebar.toggle("Fit the price axis to the session", value=True, key="replay_fit",
                            help="Off: the axis spans 0 to 100¢")
    playing = st.session_state["replay_playing"]
    st.fragment(run_every=FRAME_SECONDS if playing else None)(_replay_view)(
        path, timeline, belief_agents, fit, playing)


# Session choice and state


def _pick_session(sessions: pd.DataFrame) -> str:
    ids = sessions["id"].tolist()
    labels = dict(zip(ids, sessions.apply(common.session_label, axis=1), strict=True))
    # The query parameter wins; else the session last replayed in this browser tab.
    requested = st.query_params.get("session") or st.session_state.get("replay_for")
    if "replay_session" not in st.session_state or st.session_state["replay_session"] not in ids:
        st.session_state["replay_session"] = requested if requested in ids else ids[0]
    session_id = st.sidebar.selectbox("Session", ids, key="replay_session",
                                      format_func=labels.__getitem__)
    if st.query_params.get("session") != session_id:
        # Another session was chosen: its replay opens at its end, not at the old time.
        st.query_params["session"] = session_id
        st.query_params.pop("t", None)
    return session_id


def _init_state(session_id: str, timeline: Timeline) -> None:
    """Set the slider's time when a session is opened: the `t` query parameter, else the end."""
    state = st.session_state
    if state.get("replay_for") == session_id and "replay_t" in state:
        state["replay_t"] = min(max(float(state["replay_t"]), 0.0), timeline.end)
        return
    state["replay_for"] = session_id
    state["replay_playing"] = False
    state.pop("replay_jump", None)
    requested = st.query_params.get("t")
    try:
        t = float(requested) if requested is not None else timeline.end
    except ValueError:
        st.warning(f"Query parameter t={requested!r} is not a number of seconds: showing the "
                   "end of the session.")
        t = timeline.end
    state["replay_t"] = min(max(t, 0.0), timeline.end)


def _show_status(info: pd.Series, timeline: Timeline) -> None:
    if info["status"] == "incomplete":
        st.warning(f"This session is incomplete: its run stopped, or is still running, at "
                   f"t = {timeline.end:,.1f} s of {timeline.horizon:,.0f} s. The replay shows "
                   "the events recorded so far, and the oracle leaves it out. Rerun the same "
                   "`beliefbook run` command to record it in full.")
    elif info["status"] == "failed":
        st.error(f"This session failed at t = {timeline.end:,.1f} s: {info['error']}. The "
                 "replay shows the events recorded before the failure.")


def _default_speed(timeline: Timeline) -> int:
    """Return the speed at which playing the whole session takes about a minute."""
    target = timeline.end / 60
    return min(SPEEDS, key=lambda speed: abs(math.log(speed / max(target, 1e-9))))


def _jump_list(timeline: Timeline) -> None:
    """Show the list of flagged contradictions; choosing one moves the slider to it.

    It stays outside the fragment, so a slider move does not send its options again.
    """
    flags = timeline.contradictions
    listed = flags
    title = f"Jump to a flagged contradiction ({len(flags):,} in this session)"
    if len(flags) > MAX_JUMP_OPTIONS:
        listed = flags.nlargest(MAX_JUMP_OPTIONS, "expected_loss").sort_index()
        title = (f"Jump to a flagged contradiction (the {MAX_JUMP_OPTIONS} with the largest "
                 f"expected loss, of {len(flags):,})")
    labels = {
        index: f"t = {time:,.1f} s · {agent} {direction}s {quantity:.0f} @ {price:.0f}¢, "
               f"believing {100 * belief:.0f}¢ ({100 * value:+.1f}¢/share)"
        for index, time, agent, direction, quantity, price, belief, value in zip(
            listed.index.tolist(), listed["t"].tolist(), listed["agent"].tolist(),
            listed["direction"].tolist(), listed["quantity"].tolist(),
            listed["price"].tolist(), listed["belief"].tolist(),
            listed["expected_value"].tolist(), strict=True)}
    st.selectbox(title, list(labels), index=None, key="replay_jump",
                 format_func=labels.__getitem__, on_change=_jump, args=(timeline,),
                 placeholder="Choose a flag to move the replay to its moment",
                 disabled=flags.empty)


def _controls(timeline: Timeline) -> float:
    """Show play/pause, the previous/next flag buttons, the time slider and the speed.

    Returns the slider's time t.
    """
    state = st.session_state
    if "replay_speed" not in state:
        state["replay_speed"] = _default_speed(timeline)
    columns = st.columns([1.3, 1.5, 1.5, 6, 2.2], vertical_alignment="bottom")
    playing = state["replay_playing"]
    columns[0].button("Pause" if playing else "Play", key="replay_play",
                      icon=":material/pause:" if playing else ":material/play_arrow:",
                      on_click=_toggle_play, args=(timeline.end,), width="stretch")

    # The flags just before and just after the slider's time.
    times = timeline.contradictions["t"].to_numpy()
    t = float(state["replay_t"])
    before = int(np.searchsorted(times, t, side="left"))
    after = int(np.searchsorted(times, t, side="right"))
    columns[1].button("Prev flag", key="replay_previous_flag", width="stretch",
                      icon=":material/skip_previous:", disabled=before == 0,
                      help="Move to the previous flagged contradiction", on_click=_jump_to,
                      args=(float(times[before - 1]) if before else 0.0,))
    columns[2].button("Next flag", key="replay_next_flag", width="stretch",
                      icon=":material/skip_next:", disabled=after >= len(times),
                      help="Move to the next flagged contradiction", on_click=_jump_to,
                      args=(float(times[after]) if after < len(times) else 0.0,))

    t = columns[3].slider("Simulated time", 0.0, float(timeline.end), key="replay_t",
                          step=_slider_step(timeline.end), format="%.1f s")
    columns[4].select_slider("Speed (simulated s per s)", SPEEDS, key="replay_speed",
                             format_func=lambda speed: f"×{speed}")
    return t


def _toggle_play(end: float) -> None:
    state = st.session_state
    state["replay_playing"] = not state["replay_playing"]
    if state["replay_playing"] and state["replay_t"] >= end:
        state["replay_t"] = 0.0  # playing from the end starts over


def _jump(timeline: Timeline) -> None:
    index = st.session_state.get("replay_jump")
    if index is None:
        return
    st.session_state["replay_t"] = float(timeline.contradictions["t"].iat[index])
    st.session_state["replay_playing"] = False


def _jump_to(t: float) -> None:
    st.session_state["replay_t"] = t
    st.session_state["replay_playing"] = False
    st.session_state["replay_jump"] = None


def _advance(timeline: Timeline) -> None:
    """Move time one frame forward; at the end, stop playing and rerun the whole page."""
    state = st.session_state
    t = min(float(state["replay_t"]) + state["replay_speed"] * FRAME_SECONDS, timeline.end)
    state["replay_t"] = t
    if t >= timeline.end:
        state["replay_playing"] = False
        st.rerun()


def _slider_step(end: float) -> float:
    """Return a step that gives the slider at most a few thousand positions."""
    return float(10 ** max(-1, math.floor(math.log10(max(end, 1.0) / 1000))))


# The view at time t


def _replay_view(path: Path, timeline: Timeline, belief_agents: list[str], fit: bool,
                 playing: bool) -> None:
    """Draw everything at the slider's time; `playing` is the mode this fragment runs in."""
    if st.session_state["replay_playing"] != playing:
        st.rerun()  # play or pause was pressed: restart the fragment with the other timer
    if playing:
        _advance(timeline)
    t = _controls(timeline)
    st.query_params["t"] = f"{t:.1f}"

    depth = timeline.depth_at(t)
    _metrics(timeline, t, depth)

    chart_column, side_column = st.columns([13, 6], gap="medium")
    with chart_column:
        _chart(timeline, t, belief_agents, fit)
    with side_column:
        _book(depth, timeline, t)
        _accounts(timeline, t)

    trades = timeline.trade_count(t)
    decisions = timeline.decision_count(t)
    flags = timeline.contradiction_count(t)
    news = timeline.news_count(t)
    tape, decided, flagged, released = st.tabs([
        f"Trade tape ({trades:,})", f"Decisions ({decisions:,})",
        f"Contradictions ({flags:,})", f"News ({news})"])
    with tape:
        _trade_tape(timeline, trades)
    with decided:
        _decisions(path, timeline, decisions)
    with flagged:
        _flags(timeline, flags)
    with released:
        _news(timeline, news)


def _metrics(timeline: Timeline, t: float, depth: np.ndarray) -> None:
    bid, ask = best_quotes(depth)
    last = timeline.last_price_at(t)
    columns = st.columns(5)
    columns[0].metric("Last trade", "-" if last is None else f"{last}¢")
    columns[1].metric("Bid / ask", f"{'-' if bid is None else bid} / {'-' if ask is None else ask}")
    columns[2].metric("Mid", "-" if bid is None or ask is None else f"{(bid + ask) / 2:g}¢")
    columns[3].metric("Trades", f"{timeline.trade_count(t):,}")
    columns[4].metric("Contradictions", f"{timeline.contradiction_count(t):,}",
                      help="Fills whose expected value under the agent's last stated belief "
                           "is below minus the session's epsilon (0.02 per share by "
                           "default), as the live oracle flagged them")


def _chart_agents(timeline: Timeline) -> list[str]:
    """Show the sidebar choice of belief lines and return the agents chosen."""
    if st.session_state.get("replay_chart_for") != timeline.session_id \
            or "replay_chart_agents" not in st.session_state:
        st.session_state["replay_chart_for"] = timeline.session_id
        st.session_state["replay_chart_agents"] = _default_chart_agents(timeline)
    return st.sidebar.multiselect("Stated beliefs on the chart", list(timeline.agents),
                                  key="replay_chart_agents", placeholder="No belief line")


def _chart(timeline: Timeline, t: float, belief_agents: list[str], fit: bool) -> None:
    colors = common.agent_colors(list(timeline.agents))
    st.vega_lite_chart(spec=price_chart(timeline, t, colors, belief_agents, fit),
                       key="replay_price_chart")
    notes = ["red ×: a fill the oracle flags as contradicting the agent's stated belief",
             "◇: static belief", "▼: news", "shaded: bid–ask band"]
    if timeline.chart.sampled:
        times = timeline.chart.times
        step = (times[-1] - times[0]) / (len(times) - 1)
        notes.append(f"long session: lines sampled every {step:,.1f} s")
    if timeline.contradiction_count(t) > MAX_FLAG_MARKERS:
        notes.append(f"the {MAX_FLAG_MARKERS:,} flags with the largest expected loss are "
                     "marked")
    st.caption(" · ".join(notes) + ".")


def _default_chart_agents(timeline: Timeline) -> list[str]:
    """Return every agent when there are few, else the first agent of each kind."""
    if len(timeline.agents) <= MAX_CHART_AGENTS:
        return list(timeline.agents)
    first_of_kind: dict[str, str] = {}
    for agent_id, info in timeline.agents.items():
        first_of_kind.setdefault(info.kind, agent_id)
    return list(first_of_kind.values())[:MAX_CHART_AGENTS]


def _book(depth: np.ndarray, timeline: Timeline, t: float) -> None:
    st.markdown("**Order book at t**")
    levels = ladder(depth)
    with st.container(key="book_ladder"):
        if levels.empty and timeline.settled_at(t):
            st.caption(f"The book is empty: settlement at t = {timeline.resolved_at:,.0f} s "
                       "cancelled every resting order. Move the slider back to see it.")
            return
        if levels.empty:
            st.caption("The book is empty.")
            return
        largest = int(max(levels["bid"].max(), levels["ask"].max(), 1))
        levels = levels.replace({"bid": {0: None}, "ask": {0: None}})
        st.dataframe(
            levels[["bid", "price", "ask"]], hide_index=True, width="stretch",
            height=min(35 * len(levels) + 38, 420),
            column_config={
                "bid": st.column_config.ProgressColumn("bid size", format="%d",
                                                       min_value=0, max_value=largest,
                                                       color="green", width=110),
                "price": st.column_config.NumberColumn("price ¢", format="%d", width=60),
                "ask": st.column_config.ProgressColumn("ask size", format="%d",
                                                       min_value=0, max_value=largest,
                                                       color="red", width=110),
            })


def _accounts(timeline: Timeline, t: float) -> None:
    accounts = timeline.accounts_at(t)
    mark = accounts["mark"].dropna()
    if timeline.settled_at(t):
        basis = f"settled {str(timeline.outcome).upper()}"
    elif len(mark):
        basis = f"marked at {mark.iat[0]:g}¢"
    else:
        basis = "no price yet"
    st.markdown(f"**Positions and PnL** ({basis})")
    table = pd.DataFrame({
        "agent": accounts["agent"],
        "position": accounts["position"],
        "cash $": accounts["cash"] / 100,
        "PnL $": accounts["pnl"] / 100,
    })
    st.dataframe(table, hide_index=True, width="stretch", key="replay_accounts",
                 column_config={
                     "position": st.column_config.NumberColumn(
                         help="signed YES shares: negative means long NO"),
                     "cash $": st.column_config.NumberColumn(
                         format="%.2f", help="including collateral locked by open orders"),
                     "PnL $": st.column_config.NumberColumn(format="%+.2f"),
                 })


def _trade_tape(timeline: Timeline, count: int) -> None:
    if count == 0:
        st.caption("No trade yet.")
        return
    latest = timeline.trades.iloc[max(0, count - TABLE_ROWS):count].iloc[::-1]
    flags = timeline.contradictions
    flagged = flags[flags["trade_seq"].isin(latest["seq"])].groupby("trade_seq")["agent"].agg(
        ", ".join)
    tape = pd.DataFrame({
        "t (s)": latest["t"],
        "price ¢": latest["price"],
        "shares": latest["quantity"],
        "taker": latest["taker"] + " " + latest["taker_side"].astype(str),
        "maker": latest["maker"],
        "mid before → after": [_mids(before, after) for before, after in
                               zip(latest["mid_before"], latest["mid_after"], strict=True)],
        "contradicts": latest["seq"].map(flagged).fillna(""),
    })
    if count > TABLE_ROWS:
        st.caption(f"The latest {TABLE_ROWS} of {count:,} trades, newest first.")
    st.dataframe(tape, hide_index=True, width="stretch", key="replay_tape",
                 column_config={"t (s)": st.column_config.NumberColumn(format="%.1f")})


def _mids(before: float, after: float) -> str:
    def text(value: float) -> str:
        return "-" if pd.isna(value) else f"{value:g}"

    return f"{text(before)} → {text(after)}"


def _decisions(path: Path, timeline: Timeline, count: int) -> None:
    agent_ids = list(timeline.agents)
    chosen = st.multiselect("Agents", agent_ids, key="replay_decision_agents",
                            placeholder="All agents")
    decisions = timeline.decisions.iloc[:count]
    if chosen:
        decisions = decisions[decisions["agent"].isin(chosen)]
    if decisions.empty:
        st.caption("No decision yet.")
        return

    # Only the rows on screen get their text, read from the store.
    total = len(decisions)
    rows = decisions.iloc[-TABLE_ROWS:].iloc[::-1]
    details = common.decision_text(str(path), timeline.session_id, common.store_version(path),
                                   tuple(rows["seq"].tolist())).set_index("seq")
    details = details.reindex(rows["seq"])
    table = pd.DataFrame({
        "t (s)": rows["t"].to_numpy(),
        "agent": rows["agent"].to_numpy(),
        "stated p": rows["probability"].to_numpy(),
        "orders": [format_orders(orders, cancels, cancel_all) for orders, cancels, cancel_all
                   in zip(details["orders"].tolist(), details["cancels"].tolist(),
                          details["cancel_all"].tolist(), strict=True)],
        "hold reason": details["hold_reason"].fillna("").to_numpy(),
        "reasoning": details["reasoning"].fillna("").to_numpy(),
    })

    if total > TABLE_ROWS:
        st.caption(f"The latest {TABLE_ROWS} of {total:,} decisions, newest first. Select "
                   "a row to read its reasoning in full.")
    else:
        st.caption("Newest first. Select a row to read its reasoning in full.")
    selection = st.dataframe(
        table, hide_index=True, width="stretch", key="replay_decisions", on_select="rerun",
        selection_mode="single-row",
        column_config={"t (s)": st.column_config.NumberColumn(format="%.1f"),
                       "stated p": st.column_config.NumberColumn(format="%.3f"),
                       "reasoning": st.column_config.TextColumn(width="large")})
    selected = selection.selection.rows if selection is not None else []
    if selected:
        row = table.iloc[selected[0]]
        stated = "none" if pd.isna(row["stated p"]) else f"{row['stated p']:.3f}"
        st.markdown(f"**{row['agent']} at t = {row['t (s)']:,.1f} s** · stated p = {stated} "
                    f"· {row['orders']}")
        if row["hold reason"]:
            st.markdown(f"Hold reason: {row['hold reason']}")
        st.text(row["reasoning"] or "(no reasoning recorded)")


def _flags(timeline: Timeline, count: int) -> None:
    if count == 0:
        st.caption("No contradictory fill yet. A fill is flagged when its expected value "
                   "under the agent's last stated belief is below minus the session's "
                   "epsilon (0.02 per share by default).")
        return
    flags = timeline.contradictions.iloc[max(0, count - TABLE_ROWS):count].iloc[::-1]
    table = pd.DataFrame({
        "t (s)": flags["t"],
        "agent": flags["agent"],
        "role": flags["role"],
        "fill": flags["direction"] + " " + flags["quantity"].map("{:.0f}".format) + " @ "
        + flags["price"].map("{:.0f}¢".format),
        "stated p": flags["belief"],
        "EV ¢/share": 100 * flags["expected_value"],
        "expected loss ¢": flags["expected_loss"],
        "high confidence": flags["high_confidence"],
    })
    if count > TABLE_ROWS:
        st.caption(f"The latest {TABLE_ROWS} of {count:,} flags, newest first.")
    st.dataframe(table, hide_index=True, width="stretch", key="replay_flags",
                 column_config={"t (s)": st.column_config.NumberColumn(format="%.1f"),
                                "stated p": st.column_config.NumberColumn(format="%.3f"),
                                "EV ¢/share": st.column_config.NumberColumn(format="%+.1f"),
                                "expected loss ¢": st.column_config.NumberColumn(
                                    format="%.1f")})


def _news(timeline: Timeline, count: int) -> None:
    if count == 0:
        later = len(timeline.news)
        st.caption("No news released yet." + (f" {later} item(s) come later." if later
                                               else ""))
        return
    for t, text in zip(timeline.news["t"].iloc[:count], timeline.news["text"].iloc[:count],
                       strict=True):
        st.markdown(f"**t = {t:,.0f} s** · {text}")
