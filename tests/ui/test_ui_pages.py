"""Every page of the replay app under Streamlit's AppTest, on stores of real sessions."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.store import Store
from ui import common

TOURNAMENT_PAGE = Path(common.__file__).with_name("views") / "tournament.py"


def session_ids(path: Path) -> dict[str, str]:
    """Return the store's session ids by status (one of each in the stores used here)."""
    with Store.open_readonly(path) as store:
        sessions = store.sessions()
    return dict(zip(sessions["status"], sessions["id"], strict=True))


def contradiction_times(path: Path, session_id: str) -> list[float]:
    with Store.open_readonly(path) as store:
        return store.events(session_id, ["contradiction"])["t"].tolist()


def tab_labels(app) -> list[str]:
    return [tab.label for tab in app.tabs]


TABLE_COLUMNS = {
    "replay_tape": "taker",
    "replay_flags": "role",
    "replay_ladder": "bid",
    "oracle_agents": "against own",
    "oracle_flags": "EV ¢/share",
    "tournament_board": "rank",
}
"""A column that only the named table has; AppTest keeps keys of selectable tables only."""


def table(app, name: str):
    """Return the values of the table `name` (see TABLE_COLUMNS)."""
    column = TABLE_COLUMNS[name]
    return next(frame.value for frame in app.dataframe if column in frame.value.columns)


# Sessions page


def test_sessions_lists_all(open_app, mixed_store):
    app = open_app(mixed_store)
    assert not app.exception
    assert len(app.dataframe[0].value) == 3


def test_sessions_status_filter(open_app, mixed_store):
    app = open_app(mixed_store)
    app.multiselect(key="sessions_status").set_value(["failed"]).run()
    table = app.dataframe[0].value
    assert list(table["status"]) == ["failed"]


def test_sessions_failed_shows_error(open_app, mixed_store):
    app = open_app(mixed_store)
    app.selectbox(key="sessions_open").set_value(session_ids(mixed_store)["failed"]).run()
    assert "provider timed out" in app.error[0].value


def test_sessions_text_search(open_app, mixed_store):
    app = open_app(mixed_store)
    app.text_input(key="sessions_search").input("james webb").run()
    table = app.dataframe[0].value
    assert list(table["question id"]) == ["bb-001"]


def test_sessions_search_without_match(open_app, mixed_store):
    app = open_app(mixed_store)
    app.text_input(key="sessions_search").input("no such question").run()
    assert "No session matches" in app.info[0].value


def test_sessions_tournament_filter(open_app, tournament_store):
    app = open_app(tournament_store)
    app.selectbox(key="sessions_tournament").set_value("cup-1").run()
    table = app.dataframe[0].value
    assert len(table) == 3
    assert set(table["tournament"]) == {"baseline cup"}


def test_sessions_links_to_replay(open_app, filled_store):
    app = open_app(filled_store)
    links = app.get("page_link")
    assert len(links) == 2


# Replay page


def test_replay_opens_at_end(open_app, filled_store):
    app = open_app(filled_store, "replay")
    assert not app.exception
    assert app.slider(key="replay_t").value == 1200.0


def test_replay_slider_shrinks_tape(open_app, filled_store):
    app = open_app(filled_store, "replay")
    at_end = len(table(app, "replay_tape"))
    app.slider(key="replay_t").set_value(300.0).run()
    earlier = len(table(app, "replay_tape"))
    assert earlier < at_end


def test_replay_slider_grows_tape(open_app, filled_store):
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(200.0).run()
    first = len(table(app, "replay_tape"))
    app.slider(key="replay_t").set_value(900.0).run()
    later = len(table(app, "replay_tape"))
    assert first < later


def test_replay_slider_changes_tabs(open_app, filled_store):
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(600.0).run()
    labels = tab_labels(app)
    app.slider(key="replay_t").set_value(1100.0).run()
    assert tab_labels(app) != labels


def test_replay_news_released_by_t(open_app, filled_store):
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(100.0).run()
    assert "News (0)" in tab_labels(app)
    app.slider(key="replay_t").set_value(1200.0).run()
    assert "News (3)" in tab_labels(app)


def test_replay_draws_price_chart(open_app, filled_store):
    app = open_app(filled_store, "replay")
    assert len(app.get("vega_lite_chart")) == 1


def test_replay_book_ladder_shown(open_app, filled_store):
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(600.0).run()
    ladder = table(app, "replay_ladder")
    assert list(ladder.columns) == ["bid", "price", "ask"]
    assert len(ladder) > 0


def test_replay_lists_contradictions(open_app, filled_store):
    session_id = session_ids(filled_store)["complete"]
    app = open_app(filled_store, "replay")
    jump = app.selectbox(key="replay_jump")
    assert len(jump.options) == len(contradiction_times(filled_store, session_id))


def test_replay_jump_moves_slider(open_app, filled_store):
    session_id = session_ids(filled_store)["complete"]
    times = contradiction_times(filled_store, session_id)
    app = open_app(filled_store, "replay")
    app.selectbox(key="replay_jump").set_value(5).run()
    assert app.slider(key="replay_t").value == pytest.approx(times[5])


def test_replay_jump_shows_flag(open_app, filled_store):
    session_id = session_ids(filled_store)["complete"]
    times = contradiction_times(filled_store, session_id)
    app = open_app(filled_store, "replay")
    app.selectbox(key="replay_jump").set_value(5).run()
    flags = table(app, "replay_flags")
    assert flags["t (s)"].iloc[0] == pytest.approx(times[5])


def test_replay_next_flag(open_app, filled_store):
    session_id = session_ids(filled_store)["complete"]
    times = contradiction_times(filled_store, session_id)
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(times[2] + 0.001).run()
    app.button(key="replay_next_flag").click().run()
    later = next(time for time in times if time > times[2] + 0.001)
    assert app.slider(key="replay_t").value == pytest.approx(later)


def test_replay_previous_flag(open_app, filled_store):
    session_id = session_ids(filled_store)["complete"]
    times = contradiction_times(filled_store, session_id)
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(times[2] + 0.001).run()
    app.button(key="replay_previous_flag").click().run()
    assert app.slider(key="replay_t").value == pytest.approx(times[2])


def test_replay_query_time(open_app, filled_store):
    session_id = session_ids(filled_store)["complete"]
    app = open_app(filled_store, "replay", session=session_id, t="450.5")
    assert app.slider(key="replay_t").value == 450.5


def test_replay_play_advances(open_app, filled_store):
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(100.0).run()
    speed = app.select_slider(key="replay_speed").value
    app.button(key="replay_play").click().run()
    assert app.slider(key="replay_t").value == pytest.approx(100.0 + speed * 0.5)


def test_replay_play_from_end_restarts(open_app, filled_store):
    app = open_app(filled_store, "replay")
    speed = app.select_slider(key="replay_speed").value
    app.button(key="replay_play").click().run()
    assert app.slider(key="replay_t").value == pytest.approx(speed * 0.5)


def test_replay_play_stops_at_end(open_app, filled_store):
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(1199.9).run()
    app.button(key="replay_play").click().run()
    assert app.slider(key="replay_t").value == 1200.0
    assert app.button(key="replay_play").label == "Play"


def test_replay_pause_keeps_time(open_app, filled_store):
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(100.0).run()
    app.button(key="replay_play").click().run()
    playing_at = app.slider(key="replay_t").value
    app.button(key="replay_play").click().run()
    assert app.slider(key="replay_t").value == playing_at


def test_replay_incomplete_warns(open_app, mixed_store):
    session_id = session_ids(mixed_store)["incomplete"]
    app = open_app(mixed_store, "replay", session=session_id)
    assert not app.exception
    assert "incomplete" in app.warning[0].value


def test_replay_incomplete_ends_early(open_app, mixed_store):
    session_id = session_ids(mixed_store)["incomplete"]
    app = open_app(mixed_store, "replay", session=session_id)
    assert app.slider(key="replay_t").value < 1200.0


def test_replay_failed_shows_error(open_app, mixed_store):
    session_id = session_ids(mixed_store)["failed"]
    app = open_app(mixed_store, "replay", session=session_id)
    assert not app.exception
    assert "provider timed out" in app.error[0].value


def test_replay_session_switch(open_app, mixed_store):
    ids = session_ids(mixed_store)
    app = open_app(mixed_store, "replay", session=ids["complete"])
    app.sidebar.selectbox(key="replay_session").set_value(ids["incomplete"]).run()
    assert "incomplete" in app.warning[0].value


# Oracle page


def test_oracle_one_row_per_agent(open_app, filled_store):
    app = open_app(filled_store, "oracle")
    assert not app.exception
    assert len(table(app, "oracle_agents")) == 7


def test_oracle_flags_match_live_oracle(open_app, filled_store):
    session_id = session_ids(filled_store)["complete"]
    app = open_app(filled_store, "oracle")
    flagged = table(app, "oracle_flags")
    assert len(flagged) == len(contradiction_times(filled_store, session_id))


def test_oracle_draws_rates(open_app, filled_store):
    app = open_app(filled_store, "oracle")
    assert len(app.get("vega_lite_chart")) == 1


def test_oracle_links_flag_to_replay(open_app, filled_store):
    app = open_app(filled_store, "oracle")
    links = app.get("page_link")
    assert any("Replay" in link.proto.label for link in links)


def test_oracle_skips_incomplete(open_app, mixed_store):
    app = open_app(mixed_store, "oracle")
    assert "1 complete session" in app.caption[0].value


def test_oracle_session_scope(open_app, tournament_store):
    app = open_app(tournament_store, "oracle")
    options = app.selectbox(key="oracle_scope").options
    session_scope = next(option for option in options if option.startswith("Session"))
    app.selectbox(key="oracle_scope").select(session_scope).run()
    assert "1 complete session" in app.caption[0].value


# Tournament page


def test_tournament_leaderboard(open_app, tournament_store):
    app = open_app(tournament_store, "tournament")
    assert not app.exception
    board = table(app, "tournament_board")
    assert len(board) == 7
    assert list(board["rank"]) == list(range(1, 8))


def test_tournament_sorted_by_pnl(open_app, tournament_store):
    app = open_app(tournament_store, "tournament")
    pnl = list(table(app, "tournament_board")["PnL $"])
    assert pnl == sorted(pnl, reverse=True)


def test_tournament_counts_own_sessions(open_app, tournament_store):
    app = open_app(tournament_store, "tournament")
    board = table(app, "tournament_board")
    assert set(board["sessions"]) == {3}


def test_tournament_draws_both_plots(open_app, tournament_store):
    app = open_app(tournament_store, "tournament")
    assert len(app.get("vega_lite_chart")) == 2


def test_tournament_static_beliefs(open_app, tournament_store):
    app = open_app(tournament_store, "tournament")
    app.radio(key="tournament_belief").set_value("static").run()
    assert not app.exception
    assert len(app.get("vega_lite_chart")) == 2


def test_tournament_page_listed(tournament_store):
    assert common.has_tournaments(tournament_store)


def test_tournament_page_hidden(filled_store):
    assert not common.has_tournaments(filled_store)


def test_tournament_page_not_in_navigation(open_app, filled_store):
    app = open_app(filled_store)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page("views/tournament.py")


def test_tournament_page_without_rows(monkeypatch, filled_store):
    monkeypatch.setenv("BELIEFBOOK_DB", str(filled_store))
    app = AppTest.from_file(str(TOURNAMENT_PAGE), default_timeout=60).run()
    assert not app.exception
    assert "No tournament" in app.info[0].value


# Stores that cannot be replayed

PAGES = ["sessions", "replay", "oracle"]


@pytest.mark.parametrize("page", PAGES)
def test_missing_store_message(open_app, tmp_path, page):
    missing = tmp_path / "nowhere.db"
    app = open_app(missing, None if page == "sessions" else page)
    assert not app.exception
    assert str(missing) in app.error[0].value
    assert "beliefbook run" in app.error[0].value


@pytest.mark.parametrize("page", PAGES)
def test_corrupt_store_message(open_app, corrupt_store, page):
    app = open_app(corrupt_store, None if page == "sessions" else page)
    assert not app.exception
    assert str(corrupt_store) in app.error[0].value


@pytest.mark.parametrize("page", PAGES)
def test_empty_store_message(open_app, empty_store, page):
    app = open_app(empty_store, None if page == "sessions" else page)
    assert not app.exception
    assert "No sessions yet" in app.info[0].value


def test_tournament_page_missing_store(monkeypatch, tmp_path):
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("BELIEFBOOK_DB", str(missing))
    app = AppTest.from_file(str(TOURNAMENT_PAGE), default_timeout=60).run()
    assert not app.exception
    assert str(missing) in app.error[0].value


def test_store_not_changed(open_app, filled_store):
    before = common.store_version(filled_store)
    app = open_app(filled_store, "replay")
    app.slider(key="replay_t").set_value(300.0).run()
    assert common.store_version(filled_store) == before


# Store path


def test_db_path_from_argv(monkeypatch):
    monkeypatch.setattr("sys.argv", ["app.py", "--db", "/data/x.db"])
    monkeypatch.setenv("BELIEFBOOK_DB", "/data/y.db")
    assert common.db_path() == Path("/data/x.db")


def test_db_path_from_env(monkeypatch):
    monkeypatch.setattr("sys.argv", ["app.py"])
    monkeypatch.setenv("BELIEFBOOK_DB", "/data/y.db")
    assert common.db_path() == Path("/data/y.db")


def test_db_path_default(monkeypatch):
    monkeypatch.setattr("sys.argv", ["app.py"])
    monkeypatch.delenv("BELIEFBOOK_DB", raising=False)
    assert common.db_path() == Path("beliefbook.db")
