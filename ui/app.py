"""The beliefbook replay app: `streamlit run ui/app.py -- --db PATH`, or `beliefbook ui`.

Pages: sessions, replay, oracle, and tournament (listed only when the store has a
tournament). The store is read-only here; see `ui.common` for how its path is chosen.
"""

from __future__ import annotations

import streamlit as st

from ui import common

st.set_page_config(page_title="beliefbook replay", page_icon=":material/candlestick_chart:",
                   layout="wide")

path = common.db_path()
pages = [
    st.Page("views/sessions.py", title="Sessions", icon=":material/list:", url_path="sessions",
            default=True),
    st.Page("views/replay.py", title="Replay", icon=":material/play_circle:", url_path="replay"),
    st.Page("views/oracle.py", title="Oracle", icon=":material/troubleshoot:",
            url_path="oracle"),
]
if common.has_tournaments(path):
    pages.append(st.Page("views/tournament.py", title="Tournament",
                         icon=":material/leaderboard:", url_path="tournament"))

page = st.navigation(pages)
st.sidebar.caption(f"Store: `{path}` (read-only)")
page.run()
