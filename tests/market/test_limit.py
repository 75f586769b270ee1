"""Limit orders: resting, matching at the maker's price, queue priority and sweeps."""

from exchange_helpers import new_exchange, of_type, queue_ids

from market import Accepted, Cancelled, OrderKind, Side, Trade


def test_limit_rests_without_cross():
    exchange = new_exchange("a")

    events = exchange.submit("a", "buy", 40, 5)

    assert len(events) == 1
    assert isinstance(events[0], Accepted)
    assert events[0].kind is OrderKind.LIMIT
    assert exchange.best_bid == 40
    assert exchange.best_ask is None
    assert exchange.book.quantity_at(Side.BUY, 40) == 5


def test_limit_sell_rests_without_cross():
    exchange = new_exchange("a", "b")
    exchange.submit("a", "buy", 40, 5)

    events = exchange.submit("b", "sell", 41, 3)

    assert of_type(events, Trade) == []
    assert exchange.best_ask == 41
    assert exchange.best_bid == 40


def test_trade_prints_at_maker_price_for_buy():
    # The taker bids 60 into an ask of 45: the fill must print at 45, not 60.
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 45, 5)

    trades = of_type(exchange.submit("taker", "buy", 60, 5), Trade)

    assert len(trades) == 1
    assert trades[0].price == 45
    assert exchange.accounts["taker"].cash == 1_000_000 - 45 * 5
    assert exchange.last_trade_price == 45


def test_trade_prints_at_maker_price_for_sell():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "buy", 55, 5)

    trades = of_type(exchange.submit("taker", "sell", 30, 5), Trade)

    assert len(trades) == 1
    assert trades[0].price == 55
    assert exchange.accounts["taker"].cash == 1_000_000 - (100 - 55) * 5


def test_trade_fields_name_maker_and_taker():
    exchange = new_exchange("maker", "taker")
    maker_id = exchange.submit("maker", "sell", 50, 2)[0].order_id

    events = exchange.submit("taker", "buy", 50, 2)

    trade = of_type(events, Trade)[0]
    assert trade.maker_order_id == maker_id
    assert trade.taker_order_id == events[0].order_id
    assert trade.maker_id == "maker"
    assert trade.taker_id == "taker"
    assert trade.taker_side is Side.BUY
    assert trade.quantity == 2


def test_partial_fill_keeps_queue_place():
    exchange = new_exchange("first", "second", "taker")
    first = exchange.submit("first", "sell", 50, 10)[0].order_id
    second = exchange.submit("second", "sell", 50, 10)[0].order_id

    exchange.submit("taker", "buy", 50, 4)

    assert queue_ids(exchange, Side.SELL, 50) == [first, second]
    assert exchange.order(first).quantity == 6
    assert exchange.order(first).original_quantity == 10
    assert exchange.book.quantity_at(Side.SELL, 50) == 16


def test_partial_fill_maker_fills_first_again():
    exchange = new_exchange("first", "second", "taker")
    first = exchange.submit("first", "sell", 50, 10)[0].order_id
    exchange.submit("second", "sell", 50, 10)
    exchange.submit("taker", "buy", 50, 4)

    trades = of_type(exchange.submit("taker", "buy", 50, 8), Trade)

    assert [trade.maker_order_id for trade in trades][0] == first
    assert [trade.quantity for trade in trades] == [6, 2]


def test_time_priority_within_level():
    exchange = new_exchange("early", "late", "taker")
    exchange.submit("early", "buy", 50, 3)
    exchange.submit("late", "buy", 50, 3)

    trades = of_type(exchange.submit("taker", "sell", 50, 3), Trade)

    assert [trade.maker_id for trade in trades] == ["early"]


def test_price_priority_across_levels():
    exchange = new_exchange("low", "high", "taker")
    exchange.submit("low", "buy", 48, 3)
    exchange.submit("high", "buy", 49, 3)

    trades = of_type(exchange.submit("taker", "sell", 40, 3), Trade)

    assert [trade.maker_id for trade in trades] == ["high"]
    assert trades[0].price == 49


def test_sweep_fills_levels_in_order():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 3)
    exchange.submit("maker", "sell", 51, 4)
    exchange.submit("maker", "sell", 52, 5)

    events = exchange.submit("taker", "buy", 52, 10)

    trades = of_type(events, Trade)
    assert [(trade.price, trade.quantity) for trade in trades] == [(50, 3), (51, 4), (52, 3)]
    assert of_type(events, Cancelled) == []


def test_sweep_leaves_exact_remainder():
    # A sweep that ends inside a level leaves that level's rest, never a negative count.
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 3)
    exchange.submit("maker", "sell", 51, 4)
    exchange.submit("maker", "sell", 52, 5)

    events = exchange.submit("taker", "buy", 52, 10)

    taker_order = events[0].order_id
    assert exchange.order(taker_order) is None
    assert exchange.book.quantity_at(Side.SELL, 52) == 2
    assert exchange.book.quantity_at(Side.SELL, 50) == 0
    assert exchange.book.quantity_at(Side.SELL, 51) == 0
    assert exchange.best_ask == 52
    assert exchange.best_bid is None
    assert exchange.accounts["taker"].position == 10
    assert exchange.accounts["taker"].open_orders() == []


def test_sweep_remainder_rests_at_limit():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 3)
    exchange.submit("maker", "sell", 51, 4)

    events = exchange.submit("taker", "buy", 51, 10)

    resting = exchange.order(events[0].order_id)
    assert sum(trade.quantity for trade in of_type(events, Trade)) == 7
    assert resting.quantity == 3
    assert resting.price == 51
    assert exchange.best_bid == 51
    assert exchange.best_ask is None


def test_limit_stops_at_its_price():
    exchange = new_exchange("maker", "taker")
    exchange.submit("maker", "sell", 50, 3)
    exchange.submit("maker", "sell", 53, 3)

    events = exchange.submit("taker", "buy", 52, 6)

    assert [trade.price for trade in of_type(events, Trade)] == [50]
    assert exchange.best_bid == 52
    assert exchange.best_ask == 53


def test_fully_filled_maker_leaves_book():
    exchange = new_exchange("maker", "taker")
    maker_order = exchange.submit("maker", "sell", 50, 3)[0].order_id

    exchange.submit("taker", "buy", 50, 3)

    assert exchange.order(maker_order) is None
    assert exchange.accounts["maker"].open_orders() == []
    assert exchange.best_ask is None


def test_order_ids_increase():
    exchange = new_exchange("a")

    first = exchange.submit("a", "buy", 40, 1)[0].order_id
    second = exchange.submit("a", "buy", 41, 1)[0].order_id

    assert second == first + 1
