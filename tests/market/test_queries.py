"""Book queries: best bid and ask, mid, spread, depth by level and the L2 snapshot."""

import pytest
from exchange_helpers import new_exchange, queue_ids

from market import BookLevel, L2Snapshot, OpenOrder, Side


@pytest.fixture
def ladder():
    """Return an exchange with bids 3@45, 2@45, 4@44, 1@40 and asks 5@48, 6@50."""
    exchange = new_exchange("a", "b")
    exchange.submit("a", "buy", 45, 3)
    exchange.submit("b", "buy", 45, 2)
    exchange.submit("a", "buy", 44, 4)
    exchange.submit("b", "buy", 40, 1)
    exchange.submit("a", "sell", 48, 5)
    exchange.submit("b", "sell", 50, 6)
    return exchange


def test_empty_book_queries_are_none():
    exchange = new_exchange("a")

    assert exchange.best_bid is None
    assert exchange.best_ask is None
    assert exchange.mid is None
    assert exchange.spread is None
    assert exchange.snapshot() == L2Snapshot(bids=(), asks=())


def test_one_sided_book_has_no_mid():
    exchange = new_exchange("a")
    exchange.submit("a", "buy", 40, 1)

    assert exchange.best_bid == 40
    assert exchange.mid is None
    assert exchange.spread is None


def test_best_prices(ladder):
    assert ladder.best_bid == 45
    assert ladder.best_ask == 48


def test_mid_is_half_tick(ladder):
    assert ladder.mid == 46.5


def test_spread_in_ticks(ladder):
    assert ladder.spread == 3


def test_depth_aggregates_levels(ladder):
    bids = ladder.book.depth(Side.BUY)
    asks = ladder.book.depth(Side.SELL)

    assert bids == [BookLevel(45, 5, 2), BookLevel(44, 4, 1), BookLevel(40, 1, 1)]
    assert asks == [BookLevel(48, 5, 1), BookLevel(50, 6, 1)]


def test_depth_limits_levels(ladder):
    assert ladder.book.depth(Side.BUY, 2) == [BookLevel(45, 5, 2), BookLevel(44, 4, 1)]


def test_depth_zero_levels_is_empty(ladder):
    assert ladder.book.depth(Side.BUY, 0) == []
    assert ladder.snapshot(0) == L2Snapshot(bids=(), asks=())


def test_depth_negative_levels_raises(ladder):
    with pytest.raises(ValueError, match="-1"):
        ladder.snapshot(-1)


def test_snapshot_matches_depth(ladder):
    snapshot = ladder.snapshot()

    assert snapshot.bids == tuple(ladder.book.depth(Side.BUY))
    assert snapshot.asks == tuple(ladder.book.depth(Side.SELL))
    assert snapshot.best_bid == 45
    assert snapshot.best_ask == 48


def test_snapshot_levels_cap_each_side(ladder):
    snapshot = ladder.snapshot(1)

    assert snapshot.bids == (BookLevel(45, 5, 2),)
    assert snapshot.asks == (BookLevel(48, 5, 1),)


def test_snapshot_after_fill(ladder):
    ladder.open_account("taker", 10_000)

    ladder.submit("taker", "sell", 44, 7)

    assert ladder.snapshot(2).bids == (BookLevel(44, 2, 1), BookLevel(40, 1, 1))
    assert ladder.best_bid == 44
    assert ladder.spread == 4


def test_empty_snapshot_best_is_none():
    snapshot = L2Snapshot(bids=(), asks=())

    assert snapshot.best_bid is None
    assert snapshot.best_ask is None


def test_queue_lists_priority_order(ladder):
    ids = queue_ids(ladder, Side.BUY, 45)

    assert [ladder.order(i).agent_id for i in ids] == ["a", "b"]


def test_open_orders_of_account(ladder):
    orders = ladder.accounts["b"].open_orders()

    assert orders == [OpenOrder(2, Side.BUY, 45, 2, 2), OpenOrder(4, Side.BUY, 40, 1, 1),
                      OpenOrder(6, Side.SELL, 50, 6, 6)]


def test_order_lookup_unknown_is_none(ladder):
    assert ladder.order(999) is None


def test_book_total_quantity(ladder):
    assert ladder.book.total_quantity() == 3 + 2 + 4 + 1 + 5 + 6
