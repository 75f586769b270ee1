"""Oracle page: the belief oracle's per-agent metrics with intervals, and the flagged fills.

The query parameter `session` preselects one session as the scope.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sim.report import agent_rows
from sim.store import StoreError
from ui import common
from ui.charts import rate_chart

ALL = "all"


def main() -> None:
    st.title("Belief oracle")
    path = common.require_store()
    version = common.store_version(path)
    with common.store_errors(path):
        sessions = common.sessions_table(str(path), version)
    if sessions.empty:
        common.show_no_sessions(path)
        return
    complete = sessions[sessions["status"] == "complete"]
    if complete.empty:
        st.info(f"No complete session in `{path}` yet: the oracle reports on finished "
                "sessions only. Let a `beliefbook run` finish, or rerun an incomplete one.")
        return

    scope, session_ids, tournament_id = _scope(complete)
    try:
        with common.store_errors(path):
            report = common.oracle_report(str(path), version, session_ids, tournament_id)
    except StoreError as error:
        st.info(str(error))
        return

    parameters = report.parameters
    st.caption(f"{parameters['sessions']} complete session(s) · a fill is contradictory when "
               "its expected value under the agent's last stated belief is below "
               f"−{parameters['epsilon']} per share · high confidence is |p − 0.5| ≥ "
               f"{parameters['high_confidence']} · intervals are "
               f"{100 * float(parameters['level']):.0f}% bootstrap intervals "
               f"({parameters['replicates']} replicates) · '-' marks no observation, n is "
               "the sample size.")

    agents_tab, kinds_tab, calibration_tab, sessions_tab = st.tabs(
        ["Agents", "Agent kinds", "Calibration", "Sessions"])
    with agents_tab:
        st.dataframe(pd.DataFrame(agent_rows(report.agents, "agent")), hide_index=True,
                     width="stretch", key="oracle_agents")
        if (report.agents["judged_fills"] > 0).any():
            st.altair_chart(rate_chart(report.agents), key="oracle_rates")
    with kinds_tab:
        st.dataframe(pd.DataFrame(agent_rows(report.kinds, "kind")), hide_index=True,
                     width="stretch", key="oracle_kinds")
    with calibration_tab:
        st.caption("Brier score (with interval), log loss, expected calibration error over 10 "
                   "bins, and Brier skill against the market's final price. Annulled "
                   "sessions are left out.")
        st.dataframe(report.calibration, hide_index=True, width="stretch",
                     key="oracle_calibration")
    with sessions_tab:
        st.dataframe(report.session_summary[["session", "question_id", "outcome",
                                             "final_price", "fills", "judged_fills",
                                             "contradiction_rate"]],
                     hide_index=True, width="stretch", key="oracle_sessions")

    _flagged_fills(report.fills, scope)


def _scope(complete: pd.DataFrame) -> tuple[str, tuple[str, ...] | None, str | None]:
    """Return the chosen scope's key, its session ids and its tournament id."""
    options = [ALL]
    labels = {ALL: f"All complete sessions ({len(complete)})"}
    tournaments = complete.dropna(subset=["tournament_id"]).drop_duplicates("tournament_id")
    for tournament_id, name in zip(tournaments["tournament_id"], tournaments["tournament"],
                                   strict=True):
        key = f"tournament:{tournament_id}"
        options.append(key)
        labels[key] = f"Tournament {name} ({tournament_id})"
    for _, row in complete.iterrows():
        key = f"session:{row['id']}"
        options.append(key)
        labels[key] = f"Session {common.session_label(row)}"

    requested = st.query_params.get("session")
    if "oracle_scope" not in st.session_state or st.session_state["oracle_scope"] not in options:
        requested_scope = f"session:{requested}"
        st.session_state["oracle_scope"] = requested_scope if requested_scope in options else ALL
    scope = st.selectbox("Scope", options, key="oracle_scope", format_func=labels.__getitem__)
    if scope.startswith("tournament:"):
        return scope, None, scope.removeprefix("tournament:")
    if scope.startswith("session:"):
        return scope, (scope.removeprefix("session:"),), None
    return scope, None, None


def _flagged_fills(fills: pd.DataFrame, scope: str) -> None:
    flagged = fills[fills["contradictory"].fillna(False).astype(bool)]
    st.subheader(f"Flagged fills ({len(flagged):,})")
    if flagged.empty:
        st.caption("No fill contradicts its agent's stated belief in this scope.")
        return
    flagged = flagged.sort_values("ev_stated").reset_index(drop=True)
    table = pd.DataFrame({
        "session": flagged["session"],
        "t (s)": flagged["t"],
        "agent": flagged["agent"],
        "kind": flagged["kind"],
        "role": flagged["role"],
        "fill": flagged["direction"] + " " + flagged["quantity"].astype(str) + " @ "
        + flagged["price"].astype(str) + "¢",
        "stated p": flagged["stated"],
        "EV ¢/share": 100 * flagged["ev_stated"],
        "expected loss ¢": -100 * flagged["ev_stated"] * flagged["quantity"],
        "high confidence": flagged["high_confidence"].fillna(False).astype(bool),
    })
    st.caption("Most contradictory first (lowest expected value per share under the agent's "
               "own stated belief).")
    st.dataframe(table, hide_index=True, width="stretch", key="oracle_flags",
                 column_config={"t (s)": st.column_config.NumberColumn(format="%.1f"),
                                "stated p": st.column_config.NumberColumn(format="%.3f"),
                                "EV ¢/share": st.column_config.NumberColumn(format="%+.1f"),
                                "expected loss ¢": st.column_config.NumberColumn(
                                    format="%.1f")})

    labels = [f"{row['agent']} · {row['fill']} · t = {row['t (s)']:,.1f} s · "
              f"{row['session']}" for row in table.to_dict("records")]
    index = st.selectbox("Open a flagged fill in the replay", range(len(table)),
                         key=f"oracle_open_{scope}", format_func=labels.__getitem__)
    chosen = table.iloc[index]
    st.page_link("views/replay.py", label=f"Replay {chosen['session']} at "
                                          f"t = {chosen['t (s)']:,.1f} s",
                 icon=":material/play_arrow:",
                 query_params={"session": chosen["session"], "t": repr(float(chosen["t (s)"]))})
