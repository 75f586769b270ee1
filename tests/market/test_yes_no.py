"""YES and NO on one book: NO orders map to YES at 100 - q, pairs mint and merge."""

from exchange_helpers import RICH, new_exchange, of_type

from market import Accepted, Contract, OrderKind, Side, Trade, to_yes_order


def test_to_yes_order_maps_no_orders():
    assert to_yes_order(Contract.NO, Side.BUY, 30) == (Side.SELL, 70)
    assert to_yes_order(Contract.NO, Side.SELL, 30) == (Side.BUY, 70)
    assert to_yes_order(Contract.YES, Side.BUY, 30) == (Side.BUY, 30)


def test_buy_no_rests_as_sell_yes():
    exchange = new_exchange("a")

    events = exchange.submit_contract("a", "no", "buy", 30, 4)

    assert events[0].side is Side.SELL
    assert events[0].price == 70
    assert exchange.best_ask == 70
    assert exchange.accounts["a"].locked == 30 * 4


def test_sell_no_rests_as_buy_yes():
    exchange = new_exchange("a")
    exchange.submit_contract("a", Contract.NO, Side.BUY, 30, 4)
    exchange.open_account("b", RICH)
    exchange.submit_contract("b", "yes", "buy", 70, 4)

    events = exchange.submit_contract("a", "no", "sell", 35, 4)

    assert events[0].side is Side.BUY
    assert events[0].price == 65
    assert exchange.best_bid == 65


def test_yes_order_passes_unchanged():
    exchange = new_exchange("a")

    events = exchange.submit_contract("a", "yes", "sell", 62, 1)

    assert events[0].side is Side.SELL
    assert events[0].price == 62


def test_buy_yes_vs_buy_no_mints_pairs():
    exchange = new_exchange("yes", "no")
    exchange.submit_contract("no", "no", "buy", 40, 5)

    events = exchange.submit_contract("yes", "yes", "buy", 60, 5)

    trade = of_type(events, Trade)[0]
    assert trade.price == 60
    assert trade.minted == 5
    assert trade.merged == 0
    assert exchange.open_interest() == 5


def test_minted_pair_positions_are_signed():
    exchange = new_exchange("yes", "no")
    exchange.submit_contract("no", "no", "buy", 40, 5)

    exchange.submit_contract("yes", "yes", "buy", 60, 5)

    assert exchange.accounts["yes"].position == 5
    assert exchange.accounts["no"].position == -5


def test_minted_pair_costs_100_in_total():
    exchange = new_exchange("yes", "no")
    exchange.submit_contract("no", "no", "buy", 40, 5)

    exchange.submit_contract("yes", "yes", "buy", 60, 5)

    assert exchange.accounts["yes"].cash == RICH - 60 * 5
    assert exchange.accounts["no"].cash == RICH - 40 * 5
    assert exchange.total_value() == 2 * RICH


def test_closing_both_sides_merges_pairs():
    exchange = new_exchange("yes", "no")
    exchange.submit_contract("no", "no", "buy", 40, 5)
    exchange.submit_contract("yes", "yes", "buy", 60, 5)

    exchange.submit_contract("no", "no", "sell", 45, 5)
    events = exchange.submit_contract("yes", "yes", "sell", 50, 5)

    trade = of_type(events, Trade)[0]
    assert trade.price == 55
    assert trade.merged == 5
    assert trade.minted == 0
    assert exchange.open_interest() == 0


def test_merged_pairs_return_cash():
    exchange = new_exchange("yes", "no")
    exchange.submit_contract("no", "no", "buy", 40, 5)
    exchange.submit_contract("yes", "yes", "buy", 60, 5)

    exchange.submit_contract("no", "no", "sell", 45, 5)
    exchange.submit_contract("yes", "yes", "sell", 50, 5)

    assert exchange.accounts["yes"].cash == RICH - 60 * 5 + 55 * 5
    assert exchange.accounts["no"].cash == RICH - 40 * 5 + 45 * 5
    assert exchange.accounts["yes"].position == 0
    assert exchange.accounts["no"].position == 0


def test_transfer_neither_mints_nor_merges():
    exchange = new_exchange("yes", "no", "buyer")
    exchange.submit_contract("no", "no", "buy", 40, 5)
    exchange.submit_contract("yes", "yes", "buy", 60, 5)
    exchange.submit_contract("yes", "yes", "sell", 62, 5)

    events = exchange.submit_contract("buyer", "yes", "buy", 62, 5)

    trade = of_type(events, Trade)[0]
    assert trade.minted == 0
    assert trade.merged == 0
    assert exchange.accounts["buyer"].position == 5
    assert exchange.open_interest() == 5


def test_mixed_fill_counts_both_mint_and_merge():
    # The taker holds 2 NO and buys 5 YES: 2 shares close its NO, 3 open YES. The maker
    # holds 4 YES and sells 5: 4 close its YES, 1 opens NO. Shares fill closing first
    # on both sides, so 2 pairs merge and 1 pair is minted.
    exchange = new_exchange("taker", "maker", "other")
    exchange.submit("other", "buy", 50, 2)
    exchange.submit("taker", "sell", 50, 2)
    exchange.submit("other", "sell", 50, 4)
    exchange.submit("maker", "buy", 50, 4)
    exchange.submit("maker", "sell", 50, 5)

    trade = of_type(exchange.submit("taker", "buy", 50, 5), Trade)[0]

    assert trade.merged == 2
    assert trade.minted == 1
    assert exchange.accounts["taker"].position == 3
    assert exchange.accounts["maker"].position == -1


def test_minted_minus_merged_tracks_open_interest():
    exchange = new_exchange("taker", "maker", "other")
    exchange.submit("other", "buy", 50, 2)
    exchange.submit("taker", "sell", 50, 2)
    exchange.submit("other", "sell", 50, 4)
    exchange.submit("maker", "buy", 50, 4)
    exchange.submit("maker", "sell", 50, 5)
    before = exchange.open_interest()

    trade = of_type(exchange.submit("taker", "buy", 50, 5), Trade)[0]

    assert exchange.open_interest() - before == trade.minted - trade.merged


def test_buy_no_flips_long_yes_to_no():
    exchange = new_exchange("a", "b")
    exchange.submit("b", "sell", 50, 3)
    exchange.submit("a", "buy", 50, 3)
    exchange.submit("b", "buy", 50, 5)

    exchange.submit_contract("a", "no", "buy", 50, 5)

    assert exchange.accounts["a"].position == -2


def test_buy_no_market_order_bound():
    # A NO market buy without a bound may pay up to 99 for NO, which is a YES sell at 1.
    exchange = new_exchange("a", "maker")
    exchange.submit("maker", "buy", 20, 2)

    events = exchange.submit_contract("a", "no", "buy", None, 2, OrderKind.MARKET)

    accepted = of_type(events, Accepted)[0]
    assert accepted.side is Side.SELL
    assert accepted.price == 1
    assert of_type(events, Trade)[0].price == 20
    assert exchange.accounts["a"].position == -2
    assert exchange.accounts["a"].cash == RICH - 80 * 2


def test_sell_no_market_order_bound():
    exchange = new_exchange("a", "maker")
    exchange.submit_contract("a", "no", "buy", 40, 2)
    exchange.submit("maker", "buy", 60, 2)
    exchange.submit("maker", "sell", 70, 2)

    events = exchange.submit_contract("a", "no", "sell", None, 2, OrderKind.MARKET)

    accepted = of_type(events, Accepted)[0]
    assert accepted.side is Side.BUY
    assert accepted.price == 99
    assert of_type(events, Trade)[0].price == 70
    assert exchange.accounts["a"].position == 0
