"""Fills and their expected value under the agent's own belief.

Every trade is two fills: one for the taker, on the side it sent (`taker_side`), and one
for the maker, on the opposite side. Both are at the trade's price, the maker's resting
price. Prices are YES cents (1..99); the oracle converts a price q to the probability
q / 100.

Under a belief p in the probability of YES, a fill of one share has expected value

    buy YES at q:   EV = p - q / 100
    sell YES at q:  EV = q / 100 - p

in probability units (dollars per one-dollar share; multiply by 100 for cents). A fill
is **contradictory** when EV < -epsilon under the belief the agent stated last before
the fill (epsilon = 0.02 by default), and it is made at a **high-confidence** belief
when |p - 0.5| >= 0.3. Both comparisons allow a slack of 1e-9, so an EV of exactly
-epsilon is not contradictory even when p - q / 100 rounds below it in floats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

import pandas as pd

DEFAULT_EPSILON = 0.02
"""Margin in probability units: a fill with EV below minus this is contradictory."""

HIGH_CONFIDENCE = 0.3
"""A belief p is high-confidence when |p - 0.5| is at least this."""

TOLERANCE = 1e-9
"""Slack on every threshold comparison, so that float rounding cannot flip a flag."""

BUY = "buy"
SELL = "sell"
MAKER = "maker"
TAKER = "taker"


def expected_value(direction: str, price: float, probability: float) -> float:
    """Return the expected value per share, in probability units, of a fill under `probability`.

    `direction` is "buy" or "sell" of YES and `price` is in YES cents.
    """
    if direction == BUY:
        return probability - price / 100
    if direction == SELL:
        return price / 100 - probability
    raise ValueError(f"direction {direction!r} is invalid: use 'buy' or 'sell' (of YES)")


def is_contradictory(value: float, epsilon: float = DEFAULT_EPSILON) -> bool:
    """Return True when an expected value per share is below -epsilon."""
    return value < -epsilon - TOLERANCE


def is_high_confidence(probability: float, threshold: float = HIGH_CONFIDENCE) -> bool:
    """Return True when |probability - 0.5| >= threshold."""
    return abs(probability - 0.5) >= threshold - TOLERANCE


def check_epsilon(epsilon: float) -> float:
    """Return `epsilon` as a float, or raise ValueError unless it is in [0, 1)."""
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or not (
            0.0 <= epsilon < 1.0):
        raise ValueError(f"epsilon {epsilon!r} is invalid: use a probability margin in [0, 1), "
                         "e.g. 0.02")
    return float(epsilon)


def check_threshold(threshold: float) -> float:
    """Return the high-confidence `threshold` as a float, or raise ValueError unless in [0, 0.5]."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not (
            0.0 <= threshold <= 0.5):
        raise ValueError(f"high-confidence threshold {threshold!r} is invalid: use a distance "
                         "from 0.5 in [0, 0.5], e.g. 0.3")
    return float(threshold)


@dataclass(frozen=True, slots=True)
class Fill:
    """One agent's side of one trade, with its belief and expected value.

    `stated` is the probability the agent stated last at or before the trade's seq, and
    `static` its belief elicited before trading. Either is None when the agent gave
    none, and so are the values and flags computed from it. `order_id` is
    the agent's own order. `mid_before` and `mid_after` are the book's mid in cents
    around the taker's whole order (None when a side of the book was empty).
    """

    session: str
    seq: int
    t: float
    agent: str
    kind: str
    role: str
    direction: str
    price: int
    quantity: int
    order_id: int | None
    counterparty: str
    stated: float | None
    static: float | None
    ev_stated: float | None
    ev_static: float | None
    contradictory: bool | None
    contradictory_static: bool | None
    high_confidence: bool | None
    position_after: int
    mid_before: float | None
    mid_after: float | None


FILL_COLUMNS = tuple(Fill.__dataclass_fields__)

_FILL_DTYPES = {
    "session": "object", "seq": "int64", "t": "float64", "agent": "object", "kind": "object",
    "role": "object", "direction": "object", "price": "int64", "quantity": "int64",
    "order_id": "Int64", "counterparty": "object", "stated": "float64", "static": "float64",
    "ev_stated": "float64", "ev_static": "float64", "contradictory": "boolean",
    "contradictory_static": "boolean", "high_confidence": "boolean",
    "position_after": "int64", "mid_before": "float64", "mid_after": "float64",
}


def fill_frame(fills: Iterable[Fill]) -> pd.DataFrame:
    """Return fills as a DataFrame, one row per fill, in the column order of `Fill`.

    Missing beliefs and values are NaN, and the three flags use pandas' nullable
    boolean dtype, so a fill the oracle cannot judge is <NA> rather than False.
    """
    values = attrgetter(*FILL_COLUMNS)
    frame = pd.DataFrame([values(fill) for fill in fills], columns=list(FILL_COLUMNS))
    return frame.astype(_FILL_DTYPES)
