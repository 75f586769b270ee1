"""The replay's precomputed timeline, checked against a real session's own records."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.store import Store
from ui.loader import SessionNotFoundError, _order_events, format_orders, load_timeline
from ui.timeline import LEVELS, OrderEvent, build_book, build_chart, ladder


@pytest.fixture(scope="module")
def loaded(filled_store: Path):
    with Store.open_readonly(filled_store) as store:
        session_id = store.sessions()["id"].iloc[0]
        timeline = load_timeline(store, session_id)
        snapshots = store.events(session_id, ["book_snapshot"])
        settled = store.events(session_id, ["settled"])
        loop_book = build_book(_order_events(store, session_id))
        trade_rows = len(store.events(session_id, ["trade"]))
        flag_rows = len(store.events(session_id, ["contradiction"]))
    return timeline, snapshots, settled, loop_book, trade_rows, flag_rows


def test_book_matches_every_snapshot(loaded):
    timeline, snapshots, *_ = loaded
    for seq, payload in zip(snapshots["seq"], snapshots["payload"], strict=True):
        depth = timeline.book.depth_after(timeline.book.count_before_seq(seq))
        bids = [[price, int(depth[price])] for price in range(LEVELS - 1, 0, -1)
                if depth[price] > 0][:10]
        asks = [[price, int(depth[LEVELS + price])] for price in range(1, LEVELS)
                if depth[LEVELS + price] > 0][:10]
        assert bids == payload["bids"], f"bids differ at snapshot seq {seq}"
        assert asks == payload["asks"], f"asks differ at snapshot seq {seq}"


def test_book_never_negative(loaded):
    timeline = loaded[0]
    for count in range(0, len(timeline.book.levels) + 1, 7):
        assert timeline.book.depth_after(count).min() >= 0


def test_vectorized_book_equals_loop(loaded):
    timeline, _, _, loop_book, *_ = loaded
    assert np.array_equal(timeline.book.seqs, loop_book.seqs)
    for count in (0, 1, len(loop_book.levels) // 2, len(loop_book.levels)):
        assert np.array_equal(timeline.book.depth_after(count), loop_book.depth_after(count))


def test_book_empty_after_settlement(loaded):
    timeline = loaded[0]
    assert timeline.depth_at(timeline.end).sum() == 0


def test_ladder_is_not_crossed(loaded):
    timeline = loaded[0]
    for t in np.linspace(0, timeline.end - 1, 50):
        levels = ladder(timeline.depth_at(t))
        bids = levels.loc[levels["bid"] > 0, "price"]
        asks = levels.loc[levels["ask"] > 0, "price"]
        if len(bids) and len(asks):
            assert bids.max() < asks.min(), f"crossed book at t={t}"


def test_pnl_marked_at_outcome_equals_settlement(loaded):
    timeline, _, settled, *_ = loaded
    before = timeline.resolved_at - 1e-6
    accounts = timeline.accounts_at(before).set_index("agent")
    payout = 100 if timeline.outcome == "yes" else 0
    for agent_id, payload in zip(settled["agent_id"], settled["payload"], strict=True):
        row = accounts.loc[agent_id]
        marked = row["pnl"] + row["position"] * (payout - row["mark"])
        assert marked == payload["pnl"], agent_id


def test_cash_after_settlement_is_recorded(loaded):
    timeline, _, settled, *_ = loaded
    accounts = timeline.accounts_at(timeline.end).set_index("agent")
    for agent_id, payload in zip(settled["agent_id"], settled["payload"], strict=True):
        assert accounts.loc[agent_id, "cash"] == payload["cash"], agent_id


def test_cash_at_start_is_deposit(loaded):
    timeline = loaded[0]
    accounts = timeline.accounts_at(0.0).set_index("agent")
    for agent_id, info in timeline.agents.items():
        assert accounts.loc[agent_id, "cash"] == info.deposit, agent_id


def test_counts_reach_all_rows(loaded):
    timeline, *_, trade_rows, flag_rows = loaded
    assert timeline.trade_count(timeline.end) == trade_rows
    assert timeline.contradiction_count(timeline.end) == flag_rows


def test_trade_count_grows_with_time(loaded):
    timeline = loaded[0]
    counts = [timeline.trade_count(t) for t in np.linspace(0, timeline.end, 20)]
    assert counts == sorted(counts)
    assert counts[0] < counts[-1]


def test_session_has_contradictions(loaded):
    timeline = loaded[0]
    assert "contrarian" in set(timeline.contradictions["agent"])


def test_chart_exact_for_short_session(loaded):
    timeline = loaded[0]
    assert not timeline.chart.sampled


def test_chart_sampled_on_grid(loaded):
    timeline = loaded[0]
    chart = build_chart(timeline.book, timeline.trades, timeline.decisions, timeline.agents,
                        timeline.end, max_points=50)
    assert chart.sampled
    assert len(chart.times) == 50
    assert chart.last[-1] == timeline.trades["price"].iat[-1]


def test_chart_beliefs_are_cents(loaded):
    timeline = loaded[0]
    stated = timeline.decisions.dropna(subset=["probability"])
    last = stated.groupby("agent")["probability"].last()
    for agent_id, values in timeline.chart.beliefs.items():
        assert values[-1] == pytest.approx(100 * last[agent_id]), agent_id


def test_unknown_order_rejected():
    events = [OrderEvent(0, 0.0, "accepted", 1, "buy", 40, 5),
              OrderEvent(1, 1.0, "cancelled", 2, None, None, 5)]
    with pytest.raises(ValueError, match="order 2"):
        build_book(events)


def test_replace_moves_order():
    events = [OrderEvent(0, 0.0, "accepted", 1, "sell", 60, 5),
              OrderEvent(1, 1.0, "replaced", 1, None, 58, 3)]
    book = build_book(events)
    depth = book.depth_after(len(book.levels))
    assert depth[LEVELS + 60] == 0
    assert depth[LEVELS + 58] == 3


def test_unknown_session_raises(filled_store: Path):
    with Store.open_readonly(filled_store) as store, pytest.raises(SessionNotFoundError):
        load_timeline(store, "no-such-session")


def test_format_orders_lists_cancels():
    text = format_orders('[{"side": "buy", "quantity": 6, "contract": "yes", "price": 49, '
                         '"kind": "limit"}]', 2.0, False)
    assert text == "buy 6 YES @ 49 (limit); cancel 2"


def test_format_orders_empty_is_dash():
    assert format_orders("[]", float("nan"), None) == "-"


def test_accounts_columns(loaded):
    accounts = loaded[0].accounts_at(600.0)
    assert isinstance(accounts, pd.DataFrame)
    assert list(accounts.columns) == ["agent", "kind", "position", "cash", "mark", "pnl"]
