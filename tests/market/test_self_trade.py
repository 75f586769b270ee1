"""Self-trade prevention: an incoming order cancels its owner's resting orders it would hit."""

from exchange_helpers import new_exchange, of_type

from market import Cancelled, CancelReason, OrderKind, Side, Trade


def test_self_trade_cancels_resting_order():
    exchange = new_exchange("a")
    resting = exchange.submit("a", "sell", 50, 5)[0].order_id

    events = exchange.submit("a", "buy", 50, 5)

    cancels = of_type(events, Cancelled)
    assert of_type(events, Trade) == []
    assert len(cancels) == 1
    assert cancels[0].order_id == resting
    assert cancels[0].reason is CancelReason.SELF_TRADE
    assert cancels[0].quantity == 5


def test_self_trade_incoming_limit_rests():
    exchange = new_exchange("a")
    exchange.submit("a", "sell", 50, 5)

    events = exchange.submit("a", "buy", 50, 5)

    assert exchange.order(events[0].order_id).quantity == 5
    assert exchange.best_bid == 50
    assert exchange.best_ask is None
    assert exchange.accounts["a"].position == 0


def test_self_trade_then_matches_next_maker():
    exchange = new_exchange("a", "b")
    exchange.submit("a", "sell", 50, 5)
    other = exchange.submit("b", "sell", 50, 5)[0].order_id

    events = exchange.submit("a", "buy", 50, 3)

    trades = of_type(events, Trade)
    assert len(trades) == 1
    assert trades[0].maker_order_id == other
    assert trades[0].quantity == 3
    assert exchange.accounts["a"].position == 3


def test_self_trade_after_other_maker():
    exchange = new_exchange("a", "b")
    exchange.submit("b", "sell", 50, 2)
    own = exchange.submit("a", "sell", 50, 5)[0].order_id

    events = exchange.submit("a", "buy", 50, 4)

    assert [type(event).__name__ for event in events] == ["Accepted", "Trade", "Cancelled"]
    assert events[2].order_id == own
    assert exchange.order(events[0].order_id).quantity == 2


def test_self_trade_across_levels():
    exchange = new_exchange("a", "b")
    own_low = exchange.submit("a", "sell", 50, 1)[0].order_id
    exchange.submit("b", "sell", 51, 1)
    own_high = exchange.submit("a", "sell", 52, 1)[0].order_id

    events = exchange.submit("a", "buy", 52, 3)

    cancels = [c.order_id for c in of_type(events, Cancelled)]
    assert cancels == [own_low, own_high]
    assert [trade.price for trade in of_type(events, Trade)] == [51]


def test_self_trade_ioc_cancels_both():
    exchange = new_exchange("a")
    resting = exchange.submit("a", "buy", 50, 5)[0].order_id

    events = exchange.submit("a", "sell", 50, 5, OrderKind.IOC)

    reasons = [(c.order_id, c.reason) for c in of_type(events, Cancelled)]
    assert reasons == [(resting, CancelReason.SELF_TRADE),
                       (events[0].order_id, CancelReason.IOC_REMAINDER)]
    assert exchange.best_bid is None
    assert exchange.best_ask is None


def test_self_trade_releases_lock():
    exchange = new_exchange("a")
    exchange.submit("a", "sell", 50, 5)

    exchange.submit("a", "buy", 50, 5, OrderKind.IOC)

    assert exchange.accounts["a"].locked == 0
    assert exchange.accounts["a"].cash == 1_000_000


def test_no_self_trade_when_not_crossing():
    exchange = new_exchange("a")
    exchange.submit("a", "sell", 55, 5)

    events = exchange.submit("a", "buy", 50, 5)

    assert of_type(events, Cancelled) == []
    assert exchange.book.quantity_at(Side.SELL, 55) == 5
