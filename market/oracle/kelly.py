"""Kelly-optimal positions on a binary contract, and how far an agent's position is from one.

With belief p and YES price q (both as probabilities), a YES share bought at q pays net
odds b = (1 - q) / q, and Kelly's stake f* = p - (1 - p) / b (Kelly, 1956) becomes

    p > q:  buy YES, stake f = (p - q) / (1 - q) of wealth, i.e. f * W / q YES shares
    p < q:  buy NO at 1 - q, stake f = (q - p) / q of wealth, i.e. f * W / (1 - q) NO shares
    p = q:  hold nothing.

The oracle writes the NO stake as a negative fraction and NO shares as a negative YES
position. Wealth W is in cents and a share of price q costs 100 q cents, so the share
counts are f * W / (100 q) and f * W / (100 (1 - q)). Positions are not rounded.
"""

from __future__ import annotations

import math


def kelly_fraction(probability: float, price: float) -> float:
    """Return the signed Kelly stake as a fraction of wealth (negative: buy NO).

    `probability` is the belief p and `price` the YES price q, both in [0, 1], with
    0 < q < 1. NaN in gives NaN out.
    """
    if math.isnan(probability) or math.isnan(price):
        return float("nan")
    _check_price(price)
    if probability > price:
        return (probability - price) / (1 - price)
    if probability < price:
        return -(price - probability) / price
    return 0.0


def kelly_position(probability: float, price: float, wealth: float) -> float:
    """Return the Kelly-optimal signed YES position in shares for `wealth` cents.

    NaN when the wealth is unknown (NaN) or not positive.
    """
    fraction = kelly_fraction(probability, price)
    if math.isnan(fraction) or math.isnan(wealth) or wealth <= 0:
        return float("nan")
    if fraction >= 0:
        return fraction * wealth / (100 * price)
    return fraction * wealth / (100 * (1 - price))


def held_fraction(position: float, price: float, wealth: float) -> float:
    """Return the stake in a signed YES `position`, as a signed fraction of `wealth`.

    A long position of x YES shares at price q is a stake of x * 100 q cents and a short
    one (x NO shares) of x * 100 (1 - q), so the result is comparable with `kelly_fraction`.
    NaN when the wealth is unknown or not positive.
    """
    if math.isnan(position) or math.isnan(price) or math.isnan(wealth) or wealth <= 0:
        return float("nan")
    _check_price(price)
    if position >= 0:
        return position * 100 * price / wealth
    return position * 100 * (1 - price) / wealth


def marked_wealth(starting_cash: float, directions: list[str], prices: list[float],
                  quantities: list[float], mark: float) -> float:
    """Return an agent's wealth in cents after its fills, with positions valued at `mark`.

    `mark` is a YES price as a probability and `prices` are fill prices in cents. A buy
    of YES at q cents changes the marked wealth by quantity * (100 * mark - q), which is
    the cash paid plus the shares' value. A sell changes it by quantity * (q - 100 * mark).
    This also holds for NO shares (sells of YES beyond the position), which cost
    100 - q each and are worth 100 (1 - mark).
    """
    wealth = float(starting_cash)
    mark_cents = 100 * mark
    for direction, fill_price, quantity in zip(directions, prices, quantities, strict=True):
        sign = 1 if direction == "buy" else -1
        wealth += sign * quantity * (mark_cents - fill_price)
    return wealth


def _check_price(price: float) -> None:
    if not 0 < price < 1:
        raise ValueError(f"price {price!r} is invalid for Kelly sizing: use a YES price "
                         "strictly between 0 and 1 (a probability, not cents)")
