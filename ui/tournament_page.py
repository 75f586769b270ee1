"""Tournament page: leaderboard, calibration curves per agent, and the gap vs calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from sim.store import StoreError
from ui import common
from ui.charts import calibration_chart, gap_chart
from ui.standings import agent_reliability, leaderboard

BELIEF_LABELS = {"stated": "Stated beliefs (last before settlement)",
                 "static": "Static beliefs (elicited before trading)"}


def main() -> None:
    st.title("Tournament")
    path = common.require_store()
    version = common.store_version(path)
    with common.store_errors(path):
        tournaments = common.tournaments_table(str(path), version)
    if tournaments.empty:
        st.info(f"No tournament in `{path}` yet: run `beliefbook tournament` to play "
                "questions × lineups × seeds, then reload this page.")
        return

    ids = tournaments["id"].tolist()
    names = dict(zip(ids, tournaments["name"], strict=True))
    tournament_id = st.selectbox("Tournament", ids, key="tournament_id",
                                 format_func=lambda key: f"{names[key]} ({key})")
    row = tournaments[tournaments["id"] == tournament_id].iloc[0]
    created = pd.to_datetime(row["created_at"], unit="s").strftime("%Y-%m-%d %H:%M")
    st.caption(f"Status **{row['status']}** · created {created} · "
               f"{int(row['complete'])} of {int(row['sessions'])} sessions complete")
    with st.expander("Specification"):
        st.code(str(row["spec"]), language="toml")

    try:
        with common.store_errors(path):
            report = common.oracle_report(str(path), version, None, tournament_id)
    except StoreError as error:
        st.info(f"{error}. The leaderboard needs at least one complete session of this "
                "tournament.")
        return

    board = leaderboard(report)
    colors = common.agent_colors(board["agent"].tolist())
    st.subheader("Leaderboard")
    _leaderboard_table(board)

    belief = st.radio("Beliefs scored", list(BELIEF_LABELS), key="tournament_belief",
                      format_func=BELIEF_LABELS.__getitem__, horizontal=True)
    curves, scatter = st.columns(2, gap="medium")
    with curves:
        st.markdown("**Calibration curves**")
        bins = agent_reliability(report, belief)
        if bins.empty:
            st.caption("No agent stated this kind of belief on a resolved question.")
        else:
            market = report.reliability[report.reliability["belief"] == "market"]
            st.altair_chart(calibration_chart(bins, colors, market), key="tournament_curves")
    with scatter:
        st.markdown("**Action-belief gap vs calibration**")
        st.altair_chart(gap_chart(board, belief, colors), key="tournament_gap")
        st.caption("Each point is an agent, with 95% bootstrap intervals. Upper left: well "
                   "calibrated, yet trading against its own stated beliefs.")


def _leaderboard_table(board: pd.DataFrame) -> None:
    def interval(low: float, high: float) -> str:
        return "-" if pd.isna(low) else f"[{100 * low:.1f}, {100 * high:.1f}]"

    table = pd.DataFrame({
        "rank": np.arange(1, len(board) + 1),
        "agent": board["agent"],
        "kind": board["kind"],
        "sessions": board["sessions"],
        "PnL $": board["pnl_total"] / 100,
        "PnL $ per session": board["pnl_mean"] / 100,
        "Brier static": board["brier_static"],
        "Brier stated": board["brier_stated"],
        "contradiction %": 100 * board["contradiction_rate"],
        "95% interval": [interval(low, high) for low, high in zip(
            board["contradiction_rate_low"], board["contradiction_rate_high"], strict=True)],
        "judged fills": board["judged_fills"],
        "high-confidence %": 100 * board["high_confidence_rate"],
    })
    st.dataframe(table, hide_index=True, width="stretch", key="tournament_board",
                 column_config={
                     "PnL $": st.column_config.NumberColumn(format="%+.2f"),
                     "PnL $ per session": st.column_config.NumberColumn(format="%+.2f"),
                     "Brier static": st.column_config.NumberColumn(format="%.3f"),
                     "Brier stated": st.column_config.NumberColumn(format="%.3f"),
                     "contradiction %": st.column_config.NumberColumn(format="%.1f"),
                     "high-confidence %": st.column_config.NumberColumn(
                         format="%.1f"),
                 })
