"""LMSR (logarithmic market scoring rule) pricing for a market maker that quotes the book.

Hanson's cost function for two outcomes, with liquidity b in cents and outstanding
shares q_yes and q_no sold by the maker:

    C(q) = b * ln(exp(100 * q_yes / b) + exp(100 * q_no / b))          (cents)
    p_yes = exp(100 * q_yes / b) / (exp(100 * q_yes / b) + exp(100 * q_no / b))

Only the difference q_yes - q_no matters, and for a maker that starts flat it is minus
the maker's own signed YES position x. So p_yes = 1 / (1 + exp(100 * x / b)), and the
maker's worst-case loss from a start at p_yes = 0.5 is b * ln 2 cents.

The maker here does not trade against a pool: it posts a ladder of limit orders into
the ordinary book. The ask at tick t offers the shares that would move the LMSR price
from t - 1 to t cents, and the bid at tick t the shares that would move it from t + 1
down to t. Each share is priced at the upper end (asks) or lower end (bids) of its
cost interval, so the maker never sells below or buys above the LMSR cost, and its
loss stays within b * ln 2 whatever fills.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from market.types import MAX_PRICE, MIN_PRICE, PAYOUT, Side


@dataclass(frozen=True, slots=True)
class Quote:
    """One rung of the maker's ladder."""

    side: Side
    price: int
    quantity: int


def lmsr_price(position: int, liquidity: float) -> float:
    """Return the LMSR probability of YES for a maker holding `position` YES shares.

    `liquidity` is b in cents and must be positive.
    """
    _check_liquidity(liquidity)
    exponent = PAYOUT * position / liquidity
    if exponent > 700:
        return 0.0
    return 1.0 / (1.0 + math.exp(exponent))


def lmsr_cost(position: int, liquidity: float) -> float:
    """Return C(q) in cents for a maker that started flat and now holds `position` YES."""
    _check_liquidity(liquidity)
    a = PAYOUT * max(-position, 0) / liquidity
    c = PAYOUT * max(position, 0) / liquidity
    top = max(a, c)
    return liquidity * (top + math.log(math.exp(a - top) + math.exp(c - top)))


def net_sold_at(probability: float, liquidity: float) -> float:
    """Return q_yes - q_no (net YES sold by the maker) at which the LMSR price is `probability`."""
    return liquidity / PAYOUT * math.log(probability / (1.0 - probability))


def worst_case_loss(liquidity: float) -> float:
    """Return b * ln 2, the maker's largest possible loss in cents from a start at 0.5."""
    _check_liquidity(liquidity)
    return liquidity * math.log(2.0)


def lmsr_ladder(position: int, liquidity: float, levels: int = 5,
                max_quantity: int | None = None) -> list[Quote]:
    """Return the maker's quotes: up to `levels` asks above and bids below the LMSR price.

    `position` is the maker's signed YES position. Quantities are whole shares, so a
    tick whose interval holds less than one share gets no quote. `max_quantity` caps
    each rung.
    """
    _check_liquidity(liquidity)
    if levels < 1:
        raise ValueError(f"levels {levels} is invalid: use 1 or more")
    if max_quantity is not None and max_quantity < 1:
        raise ValueError(f"max_quantity {max_quantity} is invalid: use 1 or more, or None")
    sold = -position  # net YES the maker has sold
    price = lmsr_price(position, liquidity)
    quotes: list[Quote] = []

    # Asks: tick t sells the shares between the LMSR price reaching (t - 1) and t cents.
    first_ask = max(MIN_PRICE + 1, math.floor(price * PAYOUT) + 1)
    previous = sold
    asks = 0
    for tick in range(first_ask, MAX_PRICE + 1):
        if asks >= levels:
            break
        target = math.floor(net_sold_at(tick / PAYOUT, liquidity))
        quantity = target - previous
        if quantity >= 1:
            if max_quantity is not None:
                quantity = min(quantity, max_quantity)
            quotes.append(Quote(Side.SELL, tick, quantity))
            previous += quantity
            asks += 1

    # Bids: tick t buys the shares between the LMSR price falling to (t + 1) and t cents.
    first_bid = min(MAX_PRICE - 1, math.ceil(price * PAYOUT) - 1)
    previous = sold
    bids = 0
    for tick in range(first_bid, MIN_PRICE - 1, -1):
        if bids >= levels:
            break
        target = math.ceil(net_sold_at(tick / PAYOUT, liquidity))
        quantity = previous - target
        if quantity >= 1:
            if max_quantity is not None:
                quantity = min(quantity, max_quantity)
            quotes.append(Quote(Side.BUY, tick, quantity))
            previous -= quantity
            bids += 1
    return quotes


def _check_liquidity(liquidity: float) -> None:
    if not liquidity > 0 or math.isinf(liquidity):
        raise ValueError(f"liquidity b {liquidity!r} is invalid: use a positive number of cents")
