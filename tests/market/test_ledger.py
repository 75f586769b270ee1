"""Ledger: collateral locks, free cash, average cost, realized and unrealized PnL."""

import pytest
from exchange_helpers import RICH, fingerprint, new_exchange, of_type

from market import Cancelled, CancelReason, Rejected, RejectReason, Replaced, Settled, Trade


def holding(position: int, price: int = 50):
    """Return an exchange where agent "a" holds `position` YES shares bought at `price`."""
    exchange = new_exchange("a", "counterparty")
    if position > 0:
        exchange.submit("counterparty", "sell", price, position)
        exchange.submit("a", "buy", price, position)
    elif position < 0:
        exchange.submit("counterparty", "buy", price, -position)
        exchange.submit("a", "sell", price, -position)
    return exchange


# Locks of resting orders


def test_buy_locks_price_per_share():
    exchange = new_exchange("a")

    exchange.submit("a", "buy", 37, 10)

    assert exchange.accounts["a"].locked == 37 * 10
    assert exchange.accounts["a"].free_cash == RICH - 370
    assert exchange.accounts["a"].cash == RICH


def test_uncovered_sell_locks_complement():
    exchange = new_exchange("a")

    exchange.submit("a", "sell", 37, 10)

    assert exchange.accounts["a"].locked == (100 - 37) * 10


def test_sell_covered_by_yes_locks_nothing():
    exchange = holding(10)

    exchange.submit("a", "sell", 60, 10)

    assert exchange.accounts["a"].locked == 0


def test_buy_covered_by_no_locks_nothing():
    exchange = holding(-10)

    exchange.submit("a", "buy", 40, 10)

    assert exchange.accounts["a"].locked == 0


def test_sell_partly_covered_locks_rest():
    exchange = holding(3)

    exchange.submit("a", "sell", 60, 5)

    assert exchange.accounts["a"].locked == (100 - 60) * 2


def test_sell_one_beyond_cover_locks_one():
    exchange = holding(3)

    exchange.submit("a", "sell", 60, 4)

    assert exchange.accounts["a"].locked == 100 - 60


def test_buy_one_beyond_cover_locks_one():
    exchange = holding(-3)

    exchange.submit("a", "buy", 40, 4)

    assert exchange.accounts["a"].locked == 40


def test_cover_goes_to_first_filled_sells():
    # Held YES covers the sells that fill first (lowest price), so the sells at 70,
    # which fill last, open NO shares and lock 30 each.
    exchange = holding(3)
    exchange.submit("a", "sell", 70, 3)

    exchange.submit("a", "sell", 60, 3)

    assert exchange.accounts["a"].locked == (100 - 70) * 3


def test_cover_goes_to_first_filled_buys():
    exchange = holding(-3)
    exchange.submit("a", "buy", 20, 3)

    exchange.submit("a", "buy", 30, 3)

    assert exchange.accounts["a"].locked == 20 * 3


def test_both_sides_lock_together():
    exchange = new_exchange("a")

    exchange.submit("a", "buy", 40, 2)
    exchange.submit("a", "sell", 60, 3)

    assert exchange.accounts["a"].locked == 40 * 2 + 40 * 3


def test_locks_sum_over_levels():
    exchange = new_exchange("a")

    exchange.submit("a", "buy", 40, 2)
    exchange.submit("a", "buy", 30, 1)

    assert exchange.accounts["a"].locked == 40 * 2 + 30


# Coverage checks


def test_order_exactly_covered_accepted():
    exchange = new_exchange()
    exchange.open_account("a", 40 * 5)

    events = exchange.submit("a", "buy", 40, 5)

    assert of_type(events, Rejected) == []
    assert exchange.accounts["a"].free_cash == 0


def test_order_short_by_one_cent_rejected():
    exchange = new_exchange()
    exchange.open_account("a", 40 * 5 - 1)
    before = fingerprint(exchange)

    events = exchange.submit("a", "buy", 40, 5)

    assert len(events) == 1
    assert events[0].reason is RejectReason.INSUFFICIENT_COLLATERAL
    assert "199" in events[0].message
    assert fingerprint(exchange) == before


def test_second_order_counts_first_lock():
    exchange = new_exchange()
    exchange.open_account("a", 500)
    exchange.submit("a", "buy", 40, 10)

    events = exchange.submit("a", "sell", 60, 3)

    assert events[0].reason is RejectReason.INSUFFICIENT_COLLATERAL


def test_buy_behind_covered_buy_accepted():
    # The agent holds 5 NO and its buy at 90 closes them. A new buy at 10 rests behind
    # it and opens YES, so it needs 5 * 10 = 50, not the 450 it would need if it were
    # first in line.
    exchange = new_exchange("counterparty")
    exchange.open_account("a", 500)
    exchange.submit("counterparty", "buy", 50, 5)
    exchange.submit("a", "sell", 50, 5)
    exchange.submit("a", "buy", 90, 5)
    assert exchange.accounts["a"].cash == 250

    events = exchange.submit("a", "buy", 10, 5)

    assert of_type(events, Rejected) == []
    assert exchange.accounts["a"].locked == 10 * 5
    exchange.check_invariants()


def test_sell_behind_covered_sell_accepted():
    exchange = new_exchange("counterparty")
    exchange.open_account("a", 500)
    exchange.submit("counterparty", "sell", 50, 5)
    exchange.submit("a", "buy", 50, 5)
    exchange.submit("a", "sell", 10, 5)
    assert exchange.accounts["a"].cash == 250

    events = exchange.submit("a", "sell", 90, 5)

    assert of_type(events, Rejected) == []
    assert exchange.accounts["a"].locked == (100 - 90) * 5
    exchange.check_invariants()


def test_replace_behind_covered_buy_accepted():
    exchange = new_exchange("counterparty")
    exchange.open_account("a", 300)
    exchange.submit("counterparty", "buy", 50, 5)
    exchange.submit("a", "sell", 50, 5)
    exchange.submit("a", "buy", 90, 5)
    order_id = exchange.submit("a", "buy", 20, 2)[0].order_id

    events = exchange.replace("a", order_id, 10, 5)

    assert isinstance(events[0], Replaced)
    assert exchange.accounts["a"].locked == 10 * 5


def test_uncovered_order_behind_cover_rejected():
    exchange = new_exchange("counterparty")
    exchange.open_account("a", 300)
    exchange.submit("counterparty", "buy", 50, 5)
    exchange.submit("a", "sell", 50, 5)
    exchange.submit("a", "buy", 90, 5)

    events = exchange.submit("a", "buy", 10, 26)

    assert events[0].reason is RejectReason.INSUFFICIENT_COLLATERAL


def test_covered_sell_needs_no_cash():
    exchange = new_exchange("counterparty")
    exchange.open_account("a", 50 * 4)
    exchange.submit("counterparty", "sell", 50, 4)
    exchange.submit("a", "buy", 50, 4)

    events = exchange.submit("a", "sell", 80, 4)

    assert of_type(events, Rejected) == []
    assert exchange.accounts["a"].cash == 0


# Locks through fills, cancels and closes


def test_filled_buy_spends_lock():
    exchange = new_exchange("a", "b")
    exchange.submit("a", "buy", 40, 5)

    exchange.submit("b", "sell", 40, 5)

    assert exchange.accounts["a"].cash == RICH - 40 * 5
    assert exchange.accounts["a"].locked == 0


def test_filled_sell_spends_lock():
    exchange = new_exchange("a", "b")
    exchange.submit("a", "sell", 40, 5)

    exchange.submit("b", "buy", 40, 5)

    assert exchange.accounts["a"].cash == RICH - 60 * 5
    assert exchange.accounts["a"].locked == 0


def test_partial_fill_keeps_rest_locked():
    exchange = new_exchange("a", "b")
    exchange.submit("a", "buy", 40, 5)

    exchange.submit("b", "sell", 40, 2)

    assert exchange.accounts["a"].locked == 40 * 3


def test_cancel_releases_partial_lock():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    exchange.submit("b", "sell", 40, 2)

    exchange.cancel("a", order_id)

    assert exchange.accounts["a"].locked == 0
    assert exchange.accounts["a"].free_cash == RICH - 80


def test_close_returns_cash():
    exchange = holding(5, price=40)

    exchange.submit("counterparty", "buy", 55, 5)
    exchange.submit("a", "sell", 55, 5)

    assert exchange.accounts["a"].cash == RICH - 40 * 5 + 55 * 5
    assert exchange.accounts["a"].position == 0
    assert exchange.accounts["a"].locked == 0


def test_fill_moves_cover_to_other_side():
    # Long 5 YES, the resting buy of 5 at 30 opens YES and locks 150. After selling 8
    # the agent holds 3 NO, so the first 3 shares of that buy close NO and only 2 lock.
    exchange = holding(5)
    exchange.submit("a", "buy", 30, 5)
    assert exchange.accounts["a"].locked == 30 * 5

    exchange.submit("counterparty", "buy", 60, 8)
    exchange.submit("a", "sell", 60, 8)

    assert exchange.accounts["a"].position == -3
    assert exchange.accounts["a"].locked == 30 * 2


def test_filled_buy_worst_loss_is_its_cost():
    exchange = holding(5, price=40)

    events = exchange.settle("no")

    settled = next(e for e in of_type(events, Settled) if e.agent_id == "a")
    assert settled.pnl == -40 * 5


def test_filled_sell_worst_loss_is_complement():
    exchange = holding(-5, price=40)

    events = exchange.settle("yes")

    settled = next(e for e in of_type(events, Settled) if e.agent_id == "a")
    assert settled.pnl == -60 * 5


# Uncovered makers


def test_uncovered_maker_loses_only_that_order():
    exchange = new_exchange("b", "taker")
    exchange.open_account("a", 1_000)
    uncovered = exchange.submit("a", "sell", 50, 5)[0].order_id
    resting_buy = exchange.submit("a", "buy", 30, 10)[0].order_id
    behind = exchange.submit("b", "sell", 50, 5)[0].order_id
    # Simulate an external debit: the account's cash drops below its lock of 550
    # behind the exchange's back. Cancelling the sell (lock 250) covers it again.
    exchange.accounts["a"].cash = 549

    events = exchange.submit("taker", "buy", 50, 5)

    cancels = of_type(events, Cancelled)
    trades = of_type(events, Trade)
    assert [(c.order_id, c.reason) for c in cancels] == [(uncovered,
                                                           CancelReason.MAKER_UNCOVERED)]
    assert cancels[0].quantity == 5
    assert [trade.maker_order_id for trade in trades] == [behind]
    assert exchange.order(resting_buy).quantity == 10
    assert exchange.accounts["a"].locked == 300
    assert exchange.accounts["a"].cash == 549


def test_uncovered_maker_never_trades():
    exchange = new_exchange("taker")
    exchange.open_account("a", 250)
    exchange.submit("a", "sell", 50, 5)
    # Simulate an external debit of one cent below the lock.
    exchange.accounts["a"].cash = 249

    events = exchange.submit("taker", "buy", 50, 5)

    assert of_type(events, Trade) == []
    assert exchange.accounts["a"].position == 0
    assert exchange.accounts["a"].cash == 249
    assert exchange.best_bid == 50


# Average cost and PnL


def test_average_cost_of_two_buys():
    exchange = new_exchange("a", "b")
    exchange.submit("b", "sell", 40, 2)
    exchange.submit("b", "sell", 60, 2)

    exchange.submit("a", "buy", 60, 4)

    assert exchange.accounts["a"].average_cost == 50
    assert exchange.accounts["a"].basis == 200


def test_average_cost_of_no_shares():
    exchange = holding(-4, price=30)

    assert exchange.accounts["a"].average_cost == 70


def test_average_cost_flat_is_none():
    exchange = new_exchange("a")

    assert exchange.accounts["a"].average_cost is None


def test_realized_pnl_on_partial_close():
    exchange = holding(4, price=50)
    exchange.submit("counterparty", "buy", 70, 1)

    exchange.submit("a", "sell", 70, 1)

    account = exchange.accounts["a"]
    assert account.realized == 20
    assert account.basis == 150
    assert account.average_cost == 50


def test_realized_pnl_of_no_shares():
    exchange = holding(-4, price=50)
    exchange.submit("counterparty", "sell", 30, 4)

    exchange.submit("a", "buy", 30, 4)

    assert exchange.accounts["a"].realized == (70 - 50) * 4
    assert exchange.accounts["a"].cash == RICH + 20 * 4


def test_realized_pnl_exact_after_rounding():
    # A basis of 101 over 3 shares does not split evenly. Closing them one by one at 50
    # must still realize exactly 150 - 101 = 49 in total.
    exchange = new_exchange("a", "b")
    exchange.submit("b", "sell", 33, 1)
    exchange.submit("b", "sell", 34, 2)
    exchange.submit("a", "buy", 34, 3)
    assert exchange.accounts["a"].basis == 101

    for _ in range(3):
        exchange.submit("b", "buy", 50, 1)
        exchange.submit("a", "sell", 50, 1)

    assert exchange.accounts["a"].realized == 49
    assert exchange.accounts["a"].basis == 0


def test_flip_realizes_then_opens():
    exchange = holding(2, price=40)
    exchange.submit("counterparty", "buy", 60, 5)

    exchange.submit("a", "sell", 60, 5)

    account = exchange.accounts["a"]
    assert account.position == -3
    assert account.realized == 40
    assert account.basis == 40 * 3
    assert account.average_cost == 40


@pytest.mark.parametrize(("position", "mark", "expected"), [
    (4, 65, (65 - 50) * 4),
    (4, 30, (30 - 50) * 4),
    (-4, 30, (70 - 50) * 4),
    (-4, 65, (35 - 50) * 4),
    (0, 65, 0),
])
def test_unrealized_pnl_at_mark(position, mark, expected):
    exchange = holding(position, price=50)

    assert exchange.accounts["a"].unrealized_pnl(mark) == expected
