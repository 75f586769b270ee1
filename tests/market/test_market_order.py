"""Market orders: IOC with a worst-price bound, 99 for a buy and 1 for a sell by default."""

from exchange_helpers import new_exchange, of_type

from market import Cancelled, CancelReason, OrderKind, Rejected, RejectReason, Side, Trade


def test_market_buy_sweeps_whole_book():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 2)
    exchange.submit("maker", "sell", 70, 2)
    exchange.submit("maker", "sell", 99, 2)

    events = exchange.submit("taker", "buy", None, 6, OrderKind.MARKET)

    trades = of_type(events, Trade)
    assert [(trade.price, trade.quantity) for trade in trades] == [(50, 2), (70, 2), (99, 2)]
    assert exchange.best_ask is None


def test_market_sell_sweeps_whole_book():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "buy", 1, 2)
    exchange.submit("maker", "buy", 30, 2)

    events = exchange.submit("taker", "sell", None, 4, OrderKind.MARKET)

    assert [trade.price for trade in of_type(events, Trade)] == [30, 1]
    assert exchange.best_bid is None


def test_market_default_bound_in_accepted():
    exchange = new_exchange("taker")

    buy = exchange.submit("taker", "buy", None, 1, OrderKind.MARKET)[0]
    sell = exchange.submit("taker", "sell", None, 1, OrderKind.MARKET)[0]

    assert buy.price == 99
    assert sell.price == 1


def test_market_stops_at_bound():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 2)
    exchange.submit("maker", "sell", 70, 2)

    events = exchange.submit("taker", "buy", 60, 4, OrderKind.MARKET)

    assert [trade.price for trade in of_type(events, Trade)] == [50]
    assert of_type(events, Cancelled)[0].quantity == 2
    assert exchange.best_ask == 70


def test_market_remainder_is_cancelled():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 2)

    events = exchange.submit("taker", "buy", None, 5, OrderKind.MARKET)

    cancels = of_type(events, Cancelled)
    assert len(cancels) == 1
    assert cancels[0].quantity == 3
    assert cancels[0].reason is CancelReason.IOC_REMAINDER
    assert exchange.best_bid is None


def test_market_on_empty_book_fills_nothing():
    exchange = new_exchange("taker")

    events = exchange.submit("taker", "buy", None, 5, OrderKind.MARKET)

    assert of_type(events, Trade) == []
    assert of_type(events, Cancelled)[0].quantity == 5
    assert exchange.accounts["taker"].cash == 1_000_000
    assert exchange.accounts["taker"].locked == 0


def test_market_buy_needs_worst_price_collateral():
    # Without a bound a market buy may pay up to 99 per share, so it locks 99 per share
    # even when the best ask is far lower.
    exchange = new_exchange("maker")
    exchange.open_account("taker", 99 * 5 - 1)
    exchange.submit("maker", "sell", 10, 5)

    events = exchange.submit("taker", "buy", None, 5, OrderKind.MARKET)

    assert len(events) == 1
    assert isinstance(events[0], Rejected)
    assert events[0].reason is RejectReason.INSUFFICIENT_COLLATERAL
    assert exchange.book.quantity_at(Side.SELL, 10) == 5


def test_market_bound_lowers_collateral():
    exchange = new_exchange("maker")
    exchange.open_account("taker", 10 * 5)
    exchange.submit("maker", "sell", 10, 5)

    events = exchange.submit("taker", "buy", 10, 5, OrderKind.MARKET)

    assert sum(trade.quantity for trade in of_type(events, Trade)) == 5
    assert exchange.accounts["taker"].cash == 0


def test_market_order_with_string_kind():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "buy", 40, 1)

    events = exchange.submit("taker", "sell", None, 1, "market")

    assert of_type(events, Trade)[0].price == 40
