"""LMSR market maker: price, ladder, and the b * ln 2 bound on the maker's loss."""

import math

import pytest
from exchange_helpers import of_type
from hypothesis import given, settings
from hypothesis import strategies as st

from market import (
    Exchange,
    OrderKind,
    Outcome,
    Settled,
    Side,
    Trade,
    lmsr_ladder,
    lmsr_price,
    worst_case_loss,
)
from market.lmsr import lmsr_cost, net_sold_at

LIQUIDITIES = [300, 1_000, 2_500, 10_000, 40_000]


# Price and cost


def test_price_flat_is_half():
    assert lmsr_price(0, 1_000) == 0.5


@pytest.mark.parametrize("position", [1, 7, 40, 300])
def test_price_symmetric_in_position(position):
    assert lmsr_price(position, 1_000) + lmsr_price(-position, 1_000) == pytest.approx(1.0)


def test_price_falls_as_maker_buys():
    prices = [lmsr_price(position, 1_000) for position in range(-30, 31)]

    assert all(later < earlier for earlier, later in zip(prices, prices[1:], strict=False))


def test_price_formula():
    assert lmsr_price(10, 1_000) == pytest.approx(1 / (1 + math.exp(1.0)))


def test_price_extreme_positions_do_not_overflow():
    assert lmsr_price(10**9, 1_000) == 0.0
    assert lmsr_price(-(10**9), 1_000) == 1.0


def test_cost_flat_is_b_ln2():
    assert lmsr_cost(0, 1_000) == pytest.approx(1_000 * math.log(2))


def test_cost_extreme_positions_do_not_overflow():
    assert lmsr_cost(-(10**6), 1_000) == pytest.approx(100 * 10**6)


def test_net_sold_inverts_price():
    for tick in (5, 30, 50, 77, 99):
        sold = net_sold_at(tick / 100, 2_000)
        assert 1 / (1 + math.exp(-100 * sold / 2_000)) == pytest.approx(tick / 100)


def test_worst_case_loss_is_b_ln2():
    assert worst_case_loss(2_000) == pytest.approx(2_000 * math.log(2))


@pytest.mark.parametrize("liquidity", [0, -5, float("nan"), float("inf")])
def test_invalid_liquidity_raises(liquidity):
    with pytest.raises(ValueError, match="liquidity"):
        lmsr_price(0, liquidity)
    with pytest.raises(ValueError, match="liquidity"):
        lmsr_ladder(0, liquidity)
    with pytest.raises(ValueError, match="liquidity"):
        worst_case_loss(liquidity)


# Ladder


def test_ladder_flat_quotes_both_sides():
    quotes = lmsr_ladder(0, 10_000, levels=5)

    asks = [q for q in quotes if q.side is Side.SELL]
    bids = [q for q in quotes if q.side is Side.BUY]
    assert [q.price for q in asks] == [51, 52, 53, 54, 55]
    assert [q.price for q in bids] == [49, 48, 47, 46, 45]


def test_ladder_quantities_at_least_one():
    for liquidity in LIQUIDITIES:
        for position in (-50, -3, 0, 3, 50):
            quotes = lmsr_ladder(position, liquidity, levels=10)
            assert all(q.quantity >= 1 for q in quotes), (liquidity, position)


def test_ladder_respects_levels():
    quotes = lmsr_ladder(0, 40_000, levels=3)

    assert sum(q.side is Side.SELL for q in quotes) == 3
    assert sum(q.side is Side.BUY for q in quotes) == 3


def test_ladder_brackets_lmsr_price():
    for position in (-40, -5, 0, 5, 40):
        price = 100 * lmsr_price(position, 2_500)
        quotes = lmsr_ladder(position, 2_500, levels=10)
        assert all(q.price > price for q in quotes if q.side is Side.SELL), position
        assert all(q.price < price for q in quotes if q.side is Side.BUY), position


def test_ladder_caps_rung_size():
    quotes = lmsr_ladder(0, 40_000, levels=5, max_quantity=3)

    assert all(q.quantity <= 3 for q in quotes)
    assert len(quotes) == 10


@pytest.mark.parametrize("max_quantity", [0, -2])
def test_ladder_invalid_cap_raises(max_quantity):
    with pytest.raises(ValueError, match="max_quantity"):
        lmsr_ladder(0, 1_000, max_quantity=max_quantity)


def test_ladder_invalid_levels_raises():
    with pytest.raises(ValueError, match="levels 0"):
        lmsr_ladder(0, 1_000, levels=0)


def test_ladder_small_b_skips_thin_ticks():
    # With b = 300 one share moves the price by more than a tick near 0.5, so some
    # ticks hold less than one share and get no quote.
    quotes = lmsr_ladder(0, 300, levels=3)

    asks = [q.price for q in quotes if q.side is Side.SELL]
    assert asks[0] > 51
    assert asks == sorted(asks)


def sold_cost(sold: float, liquidity: float) -> float:
    """Return the cents a maker that started flat has received once it has sold `sold` YES net.

    It is the integral of the YES price 100 / (1 + exp(-100 s / b)) from 0 to `sold`,
    up to a constant: b * ln(1 + exp(100 * sold / b)), written so it cannot overflow.
    """
    exponent = 100 * sold / liquidity
    return liquidity * (max(exponent, 0.0) + math.log1p(math.exp(-abs(exponent))))


@pytest.mark.parametrize("position", [-60, -1, 0, 1, 60])
def test_cost_matches_price_integral(position):
    # lmsr_cost is C(q_yes, q_no); in YES cash it differs by 100 per YES share bought.
    expected = sold_cost(-position, 1_000) + 100 * max(position, 0)

    assert lmsr_cost(position, 1_000) == pytest.approx(expected)


@pytest.mark.parametrize("liquidity", LIQUIDITIES)
@pytest.mark.parametrize("position", [-60, -7, 0, 7, 60])
def test_ladder_asks_not_below_cost(liquidity, position):
    # Every share the maker sells is priced at or above what LMSR charges for it.
    sold = -position
    for quote in lmsr_ladder(position, liquidity, levels=99):
        if quote.side is not Side.SELL:
            continue
        for _ in range(quote.quantity):
            cost = sold_cost(sold + 1, liquidity) - sold_cost(sold, liquidity)
            assert quote.price >= cost - 1e-9
            sold += 1


@pytest.mark.parametrize("liquidity", LIQUIDITIES)
@pytest.mark.parametrize("position", [-60, -7, 0, 7, 60])
def test_ladder_bids_not_above_cost(liquidity, position):
    # Every share the maker buys back is priced at or below what LMSR pays for it.
    sold = -position
    for quote in lmsr_ladder(position, liquidity, levels=99):
        if quote.side is not Side.BUY:
            continue
        for _ in range(quote.quantity):
            refund = sold_cost(sold, liquidity) - sold_cost(sold - 1, liquidity)
            assert quote.price <= refund + 1e-9
            sold -= 1


# Worst-case loss against an adversary on a real exchange

MAKER_CASH = 10**9


def repost_ladder(exchange: Exchange, liquidity: float, levels: int,
                  max_quantity: int | None) -> None:
    """Cancel the maker's orders and post the ladder for its current position."""
    maker = exchange.accounts["maker"]
    for order_id in list(maker.orders):
        exchange.cancel("maker", order_id)
    for quote in lmsr_ladder(maker.position, liquidity, levels, max_quantity):
        events = exchange.submit("maker", quote.side, quote.price, quote.quantity)
        assert of_type(events, Trade) == []


def maker_loss(exchange: Exchange, outcome: Outcome) -> int:
    """Settle the market and return the maker's loss in cents."""
    events = exchange.settle(outcome)
    settled = next(e for e in of_type(events, Settled) if e.agent_id == "maker")
    return -settled.pnl


def sweep_until_empty(liquidity: float, side: Side, levels: int = 5,
                      max_quantity: int | None = None) -> Exchange:
    """Sweep every rung of one side of the maker's ladder until it quotes no more."""
    exchange = Exchange()
    exchange.open_account("maker", MAKER_CASH)
    exchange.open_account("adversary", MAKER_CASH)
    book_side = Side.SELL if side is Side.BUY else Side.BUY
    for _ in range(10_000):
        repost_ladder(exchange, liquidity, levels, max_quantity)
        resting = sum(level.quantity for level in exchange.book.depth(book_side))
        if resting == 0:
            return exchange
        exchange.submit("adversary", side, None, resting, OrderKind.MARKET)
    raise AssertionError("the ladder never ran out of quotes")


@pytest.mark.parametrize("liquidity", LIQUIDITIES)
def test_sweep_up_loss_within_bound(liquidity):
    exchange = sweep_until_empty(liquidity, Side.BUY)

    loss = maker_loss(exchange, Outcome.YES)

    assert loss <= worst_case_loss(liquidity)
    # The sweep must come close to the bound, or this test would not test it.
    assert loss >= 0.8 * worst_case_loss(liquidity)


@pytest.mark.parametrize("liquidity", LIQUIDITIES)
def test_sweep_down_loss_within_bound(liquidity):
    exchange = sweep_until_empty(liquidity, Side.SELL)

    loss = maker_loss(exchange, Outcome.NO)

    assert loss <= worst_case_loss(liquidity)
    assert loss >= 0.8 * worst_case_loss(liquidity)


@pytest.mark.parametrize("liquidity", [1_000, 10_000])
def test_sweep_one_level_at_a_time(liquidity):
    exchange = sweep_until_empty(liquidity, Side.BUY, levels=1, max_quantity=1)

    loss = maker_loss(exchange, Outcome.YES)

    assert loss <= worst_case_loss(liquidity)
    assert exchange.accounts["maker"].cash >= 0


@pytest.mark.parametrize("liquidity", LIQUIDITIES)
def test_sweep_is_symmetric(liquidity):
    up = maker_loss(sweep_until_empty(liquidity, Side.BUY), Outcome.YES)
    down = maker_loss(sweep_until_empty(liquidity, Side.SELL), Outcome.NO)

    assert up == down


adversary_moves = st.lists(
    st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 60)),
    min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(liquidity=st.sampled_from(LIQUIDITIES), levels=st.integers(1, 6), moves=adversary_moves)
def test_random_adversary_loss_within_bound(liquidity, levels, moves):
    # The adversary buys and sells partial amounts, the maker re-posts after every
    # order, and the outcome is whichever hurts the maker's final position.
    exchange = Exchange()
    exchange.open_account("maker", MAKER_CASH)
    exchange.open_account("adversary", MAKER_CASH)

    for side, quantity in moves:
        repost_ladder(exchange, liquidity, levels, None)
        exchange.submit("adversary", side, None, quantity, OrderKind.MARKET)
    position = exchange.accounts["maker"].position
    outcome = Outcome.YES if position < 0 else Outcome.NO

    assert maker_loss(exchange, outcome) <= worst_case_loss(liquidity)
