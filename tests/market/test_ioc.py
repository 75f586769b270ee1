"""Immediate-or-cancel orders: fill what crosses, cancel the rest, never rest."""

from exchange_helpers import new_exchange, of_type

from market import Accepted, Cancelled, CancelReason, OrderKind, Side, Trade


def test_ioc_partial_fill_cancels_rest():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 3)

    events = exchange.submit("taker", "buy", 55, 10, OrderKind.IOC)

    trades = of_type(events, Trade)
    cancels = of_type(events, Cancelled)
    assert [trade.quantity for trade in trades] == [3]
    assert len(cancels) == 1
    assert cancels[0].quantity == 7
    assert cancels[0].reason is CancelReason.IOC_REMAINDER
    assert cancels[0].order_id == events[0].order_id


def test_ioc_remainder_never_rests():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 3)

    events = exchange.submit("taker", "buy", 55, 10, "ioc")

    assert exchange.best_bid is None
    assert exchange.order(events[0].order_id) is None
    assert exchange.accounts["taker"].open_orders() == []
    assert exchange.accounts["taker"].locked == 0


def test_ioc_without_cross_cancels_all():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 60, 3)

    events = exchange.submit("taker", "buy", 55, 4, OrderKind.IOC)

    assert isinstance(events[0], Accepted)
    assert events[0].kind is OrderKind.IOC
    assert of_type(events, Trade) == []
    assert of_type(events, Cancelled)[0].quantity == 4
    assert exchange.book.quantity_at(Side.SELL, 60) == 3


def test_ioc_on_empty_book_cancels_all():
    exchange = new_exchange("taker")

    events = exchange.submit("taker", "sell", 50, 4, OrderKind.IOC)

    assert len(events) == 2
    assert of_type(events, Cancelled)[0].quantity == 4
    assert exchange.accounts["taker"].cash == 1_000_000


def test_ioc_respects_limit_price():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "buy", 50, 2)
    exchange.submit("maker", "buy", 45, 2)

    events = exchange.submit("taker", "sell", 48, 4, OrderKind.IOC)

    assert [trade.price for trade in of_type(events, Trade)] == [50]
    assert exchange.book.quantity_at(Side.BUY, 45) == 2


def test_ioc_full_fill_has_no_cancel():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 5)

    events = exchange.submit("taker", "buy", 50, 5, OrderKind.IOC)

    assert of_type(events, Cancelled) == []
    assert exchange.book.quantity_at(Side.SELL, 50) == 0


def test_ioc_sweeps_several_levels():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "buy", 50, 2)
    exchange.submit("maker", "buy", 49, 2)
    exchange.submit("maker", "buy", 48, 2)

    events = exchange.submit("taker", "sell", 49, 5, OrderKind.IOC)

    trades = of_type(events, Trade)
    assert [(trade.price, trade.quantity) for trade in trades] == [(50, 2), (49, 2)]
    assert of_type(events, Cancelled)[0].quantity == 1
    assert exchange.best_bid == 48


def test_ioc_releases_collateral_of_remainder():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 1)

    exchange.submit("taker", "buy", 60, 10, OrderKind.IOC)

    account = exchange.accounts["taker"]
    assert account.cash == 1_000_000 - 50
    assert account.free_cash == account.cash
