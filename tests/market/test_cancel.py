"""Cancels: removing resting orders, releasing collateral, rejecting unknown ids."""

from exchange_helpers import fingerprint, new_exchange, of_type, queue_ids

from market import Cancelled, CancelReason, Rejected, RejectReason, Side, Trade


def test_cancel_removes_resting_order():
    exchange = new_exchange("a")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id

    events = exchange.cancel("a", order_id)

    assert events == [Cancelled(order_id, "a", 5, CancelReason.REQUESTED)]
    assert exchange.order(order_id) is None
    assert exchange.best_bid is None
    assert exchange.book.quantity_at(Side.BUY, 40) == 0


def test_cancel_releases_lock():
    exchange = new_exchange("a")
    order_id = exchange.submit("a", "sell", 40, 5)[0].order_id
    assert exchange.accounts["a"].locked == 60 * 5

    exchange.cancel("a", order_id)

    assert exchange.accounts["a"].locked == 0
    assert exchange.accounts["a"].free_cash == 1_000_000


def test_cancel_partial_fill_reports_rest():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    exchange.submit("b", "sell", 40, 2)

    events = exchange.cancel("a", order_id)

    assert events[0].quantity == 3
    assert exchange.accounts["a"].position == 2
    assert exchange.accounts["a"].locked == 0


def test_cancel_unknown_id_rejected():
    exchange = new_exchange("a")
    exchange.submit("a", "buy", 40, 5)
    before = fingerprint(exchange)

    events = exchange.cancel("a", 999)

    assert len(events) == 1
    assert isinstance(events[0], Rejected)
    assert events[0].reason is RejectReason.UNKNOWN_ORDER
    assert events[0].order_id == 999
    assert fingerprint(exchange) == before


def test_cancel_filled_id_rejected():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    exchange.submit("b", "sell", 40, 5)
    before = fingerprint(exchange)

    events = exchange.cancel("a", order_id)

    assert events[0].reason is RejectReason.UNKNOWN_ORDER
    assert fingerprint(exchange) == before


def test_cancel_twice_rejects_second():
    exchange = new_exchange("a")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    exchange.cancel("a", order_id)

    events = exchange.cancel("a", order_id)

    assert events[0].reason is RejectReason.UNKNOWN_ORDER


def test_cancel_other_agents_order_rejected():
    exchange = new_exchange("a", "b")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    before = fingerprint(exchange)

    events = exchange.cancel("b", order_id)

    assert events[0].reason is RejectReason.NOT_OWNER
    assert fingerprint(exchange) == before


def test_cancel_by_unknown_agent_rejected():
    exchange = new_exchange("a")
    order_id = exchange.submit("a", "buy", 40, 5)[0].order_id
    before = fingerprint(exchange)

    events = exchange.cancel("nobody", order_id)

    assert events[0].reason is RejectReason.UNKNOWN_AGENT
    assert fingerprint(exchange) == before


def test_cancelled_front_order_never_trades():
    exchange = new_exchange("a", "b", "taker")
    front = exchange.submit("a", "sell", 50, 5)[0].order_id
    exchange.submit("b", "sell", 50, 5)
    exchange.cancel("a", front)

    trades = of_type(exchange.submit("taker", "buy", 50, 5), Trade)

    assert [trade.maker_id for trade in trades] == ["b"]


def test_cancel_middle_keeps_queue_order():
    exchange = new_exchange("a", "b", "c")
    first = exchange.submit("a", "sell", 50, 1)[0].order_id
    middle = exchange.submit("b", "sell", 50, 1)[0].order_id
    last = exchange.submit("c", "sell", 50, 1)[0].order_id

    exchange.cancel("b", middle)

    assert queue_ids(exchange, Side.SELL, 50) == [first, last]
    assert exchange.snapshot().asks[0].orders == 2


def test_cancel_best_level_moves_best_price():
    exchange = new_exchange("a")
    best = exchange.submit("a", "sell", 50, 1)[0].order_id
    exchange.submit("a", "sell", 57, 1)

    exchange.cancel("a", best)

    assert exchange.best_ask == 57


def test_cancel_last_order_empties_side():
    exchange = new_exchange("a")
    order_id = exchange.submit("a", "buy", 50, 1)[0].order_id

    exchange.cancel("a", order_id)

    assert exchange.best_bid is None
    assert exchange.snapshot().bids == ()


def test_cancelled_orders_do_not_pile_up():
    # One order stays at the front of the level while 10,000 others arrive behind it and
    # are cancelled. The level's queue must not keep all of them.
    exchange = new_exchange("front", "churn")
    exchange.submit("front", "buy", 50, 1)

    for _ in range(10_000):
        order_id = exchange.submit("churn", "buy", 50, 1)[0].order_id
        exchange.cancel("churn", order_id)

    assert len(exchange.book._queues[Side.BUY][50]) < 100
    assert exchange.book.quantity_at(Side.BUY, 50) == 1
    assert exchange.snapshot().bids[0].orders == 1
