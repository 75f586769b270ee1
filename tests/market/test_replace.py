"""Replaces: size decreases keep queue priority, other changes re-enter at the back."""

from exchange_helpers import fingerprint, new_exchange, of_type, queue_ids

from market import Cancelled, CancelReason, Rejected, RejectReason, Replaced, Side, Trade


def test_replace_decrease_keeps_priority():
    exchange = new_exchange("a", "b")
    first = exchange.submit("a", "sell", 50, 10)[0].order_id
    second = exchange.submit("b", "sell", 50, 10)[0].order_id

    events = exchange.replace("a", first, 50, 4)

    assert events == [Replaced(first, "a", 50, 4, kept_priority=True)]
    assert queue_ids(exchange, Side.SELL, 50) == [first, second]
    assert exchange.order(first).quantity == 4
    assert exchange.book.quantity_at(Side.SELL, 50) == 14


def test_replace_decrease_lowers_lock():
    exchange = new_exchange("a")
    order_id = exchange.submit("a", "buy", 40, 10)[0].order_id

    exchange.replace("a", order_id, 40, 4)

    assert exchange.accounts["a"].locked == 40 * 4


def test_replace_same_size_is_no_op():
    exchange = new_exchange("a", "b")
    first = exchange.submit("a", "sell", 50, 10)[0].order_id
    exchange.submit("b", "sell", 50, 10)
    before = fingerprint(exchange)

    events = exchange.replace("a", first, 50, 10)

    assert events[0].kept_priority is True
    assert fingerprint(exchange) == before


def test_replace_increase_loses_priority():
    exchange = new_exchange("a", "b")
    first = exchange.submit("a", "sell", 50, 10)[0].order_id
    second = exchange.submit("b", "sell", 50, 10)[0].order_id

    events = exchange.replace("a", first, 50, 12)

    assert events == [Replaced(first, "a", 50, 12, kept_priority=False)]
    assert queue_ids(exchange, Side.SELL, 50) == [second, first]
    assert exchange.book.quantity_at(Side.SELL, 50) == 22


def test_replace_price_change_moves_level():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    other = exchange.submit("b", "buy", 42, 5)[0].order_id

    events = exchange.replace("a", order_id, 42, 5)

    assert events[0].kept_priority is False
    assert exchange.book.quantity_at(Side.BUY, 40) == 0
    assert queue_ids(exchange, Side.BUY, 42) == [other, order_id]
    assert exchange.best_bid == 42


def test_replace_keeps_order_id():
    exchange = new_exchange("a")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id

    exchange.replace("a", order_id, 30, 7)

    order = exchange.order(order_id)
    assert order.price == 30
    assert order.quantity == 7
    assert exchange.accounts["a"].locked == 30 * 7


def test_replace_crossing_trades_at_maker_price():
    exchange = new_exchange("a", "maker")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    exchange.submit("maker", "sell", 45, 3)

    events = exchange.replace("a", order_id, 48, 5)

    trades = of_type(events, Trade)
    assert isinstance(events[0], Replaced)
    assert len(trades) == 1
    assert trades[0].price == 45
    assert trades[0].taker_order_id == order_id
    assert exchange.order(order_id).quantity == 2
    assert exchange.best_bid == 48


def test_replace_partially_filled_order():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 10)[0].order_id
    exchange.submit("b", "sell", 40, 6)

    exchange.replace("a", order_id, 40, 2)

    assert exchange.order(order_id).quantity == 2
    assert exchange.accounts["a"].position == 6
    assert exchange.accounts["a"].locked == 40 * 2


def test_replace_unknown_id_rejected():
    exchange = new_exchange("a")
    before = fingerprint(exchange)

    events = exchange.replace("a", 77, 40, 5)

    assert isinstance(events[0], Rejected)
    assert events[0].reason is RejectReason.UNKNOWN_ORDER
    assert fingerprint(exchange) == before


def test_replace_filled_id_rejected():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    exchange.submit("b", "sell", 40, 5)
    before = fingerprint(exchange)

    events = exchange.replace("a", order_id, 41, 5)

    assert events[0].reason is RejectReason.UNKNOWN_ORDER
    assert fingerprint(exchange) == before


def test_replace_other_agents_order_rejected():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    before = fingerprint(exchange)

    events = exchange.replace("b", order_id, 41, 5)

    assert events[0].reason is RejectReason.NOT_OWNER
    assert fingerprint(exchange) == before


def test_replace_uncovered_keeps_original():
    exchange = new_exchange("a")
    exchange.open_account("poor", 400)
    order_id = exchange.submit("poor", "buy", 40, 10)[0].order_id
    before = fingerprint(exchange)

    events = exchange.replace("poor", order_id, 41, 10)

    assert events[0].reason is RejectReason.INSUFFICIENT_COLLATERAL
    assert fingerprint(exchange) == before


def test_replace_frees_own_lock_first():
    # The replaced order's own lock counts toward the new one: 400 cents cover
    # 10 at 40 or 8 at 50, not both.
    exchange = new_exchange()
    exchange.open_account("poor", 400)
    order_id = exchange.submit("poor", "buy", 40, 10)[0].order_id

    events = exchange.replace("poor", order_id, 50, 8)

    assert isinstance(events[0], Replaced)
    assert exchange.accounts["poor"].locked == 400


def test_replace_into_own_order_cancels_it():
    exchange = new_exchange("a")
    sell = exchange.submit("a", "sell", 50, 5)[0].order_id
    buy = exchange.submit("a", "buy", 40, 5)[0].order_id

    events = exchange.replace("a", buy, 50, 5)

    cancels = of_type(events, Cancelled)
    assert [(c.order_id, c.reason) for c in cancels] == [(sell, CancelReason.SELF_TRADE)]
    assert of_type(events, Trade) == []
    assert exchange.best_bid == 50
