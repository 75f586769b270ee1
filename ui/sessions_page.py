"""Sessions page: every stored session, with filters and links to its replay and oracle."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import common

STATUSES = ["complete", "incomplete", "failed"]
ALL_TOURNAMENTS = "All sessions"
NO_TOURNAMENT = "Outside any tournament"


def main() -> None:
    st.title("Sessions")
    path = common.require_store()
    with common.store_errors(path):
        sessions = common.sessions_table(str(path), common.store_version(path))
    if sessions.empty:
        common.show_no_sessions(path)
        return

    filtered = _filter(sessions)
    st.caption(f"{len(filtered)} of {len(sessions)} sessions in `{path}`.")
    if filtered.empty:
        st.info("No session matches these filters: clear the search or pick more statuses.")
        return

    table = pd.DataFrame({
        "question": filtered["question"].fillna(filtered["question_id"]),
        "question id": filtered["question_id"],
        "outcome": filtered["outcome"].fillna("-").str.upper(),
        "final price ¢": filtered["final_price"],
        "agents": filtered["agents"],
        "events": filtered["events"],
        "status": filtered["status"],
        "tournament": filtered["tournament"].fillna(""),
        "seed": filtered["seed"],
        "started": pd.to_datetime(filtered["started_at"], unit="s"),
        "session id": filtered["id"],
    })
    selection = st.dataframe(
        table, hide_index=True, width="stretch", key="sessions_table", on_select="rerun",
        selection_mode="single-row",
        column_config={
            "question": st.column_config.TextColumn(width="large"),
            "final price ¢": st.column_config.NumberColumn(format="%.0f"),
            "events": st.column_config.NumberColumn(format="%d"),
            "started": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        })

    ids = filtered["id"].tolist()
    rows = selection.selection.rows if selection is not None else []
    if rows:
        st.session_state["sessions_open"] = ids[rows[0]]
    if st.session_state.get("sessions_open") not in ids:
        st.session_state["sessions_open"] = ids[0]
    labels = dict(zip(ids, filtered.apply(common.session_label, axis=1), strict=True))
    chosen = st.selectbox("Session to open (or select a row above)", ids, key="sessions_open",
                          format_func=labels.__getitem__)

    row = filtered[filtered["id"] == chosen].iloc[0]
    if row["status"] == "failed" and row["error"]:
        st.error(f"This session failed: {row['error']}")
    links = st.columns(3)
    links[0].page_link("views/replay.py", label="Open its replay", icon=":material/play_arrow:",
                       query_params={"session": chosen})
    if row["status"] == "complete":
        links[1].page_link("views/oracle.py", label="Open its oracle report",
                           icon=":material/troubleshoot:", query_params={"session": chosen})
    else:
        links[1].caption("The oracle reports on complete sessions only.")


def _filter(sessions: pd.DataFrame) -> pd.DataFrame:
    columns = st.columns([3, 3, 2])
    statuses = columns[0].multiselect("Status", STATUSES, default=STATUSES,
                                      key="sessions_status")
    search = columns[1].text_input("Question text or id contains", key="sessions_search",
                                   placeholder="e.g. telescope")
    named = sessions.dropna(subset=["tournament_id"]).drop_duplicates("tournament_id")
    names = dict(zip(named["tournament_id"], named["tournament"].fillna(""), strict=True))
    tournament = columns[2].selectbox(
        "Tournament", [ALL_TOURNAMENTS, NO_TOURNAMENT, *sorted(names)],
        key="sessions_tournament",
        format_func=lambda key: f"{names[key]} ({key})" if key in names else key)

    mask = sessions["status"].isin(statuses)
    if search.strip():
        needle = search.strip()
        mask &= (sessions["question"].fillna("").str.contains(needle, case=False, regex=False)
                 | sessions["question_id"].str.contains(needle, case=False, regex=False))
    if tournament == NO_TOURNAMENT:
        mask &= sessions["tournament_id"].isna()
    elif tournament != ALL_TOURNAMENTS:
        mask &= sessions["tournament_id"] == tournament
    return sessions[mask]
