"""Price impact of an agent's taker orders, and whether it moved the mid toward its belief.

The kernel records, with every trade, the book's mid in cents just before and just
after the whole taker order that caused it, so all fills of one taker order carry the
same pair. The impact of a taker order is

    impact = mid_after - mid_before        (cents, counted once per taker order)

and an agent's impact is the sum over its taker orders. Makers get no impact: their
resting orders were there before the move, and the taker chose to trade with them.
An order is left out when either mid is missing (a side of the book was empty).

Direction relative to the agent's stated belief p at the order (the belief in force
at its first fill), with b = 100 p:

    toward:  |mid_after - b| < |mid_before - b|     (the mid ended closer to the belief)
    away:    |mid_after - b| > |mid_before - b|
    neither: equal distances, or no stated belief.

So an order that carries the mid past the belief and ends farther from it counts as
away. The share pushed toward is toward / (toward + away).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.oracle.fills import TAKER, TOLERANCE

ORDER_COLUMNS = ("session", "agent", "kind", "order_id", "seq", "t", "direction", "quantity",
                 "fills", "stated", "mid_before", "mid_after", "impact", "toward", "away")


def taker_order_table(fills: pd.DataFrame) -> pd.DataFrame:
    """Return one row per taker order from a fill table, with its impact and direction.

    Fills without an order id are each treated as their own order.
    """
    taker = fills[fills["role"] == TAKER].copy()
    if taker.empty:
        return _empty()

    # A missing order id gets a unique negative key, so that each such fill is its own order.
    order_key = taker["order_id"].astype("Float64").fillna(-1.0 - taker["seq"].astype(float))
    taker["order_key"] = order_key.astype(float)
    grouped = taker.groupby(["session", "agent", "order_key"], sort=False)
    orders = grouped.agg(
        kind=("kind", "first"),
        order_id=("order_id", "first"),
        seq=("seq", "min"),
        t=("t", "first"),
        direction=("direction", "first"),
        quantity=("quantity", "sum"),
        fills=("seq", "size"),
        stated=("stated", "first"),
        mid_before=("mid_before", "first"),
        mid_after=("mid_after", "first"),
    ).reset_index().drop(columns="order_key")

    orders["impact"] = orders["mid_after"] - orders["mid_before"]
    belief = 100 * orders["stated"]
    before = (orders["mid_before"] - belief).abs()
    after = (orders["mid_after"] - belief).abs()
    known = orders["impact"].notna() & orders["stated"].notna()
    orders["toward"] = pd.array(np.where(known, after < before - TOLERANCE, False),
                                dtype="boolean")
    orders["away"] = pd.array(np.where(known, after > before + TOLERANCE, False),
                              dtype="boolean")
    orders.loc[~known, ["toward", "away"]] = pd.NA
    return orders[list(ORDER_COLUMNS)].sort_values(["session", "seq"], ignore_index=True)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame(columns=list(ORDER_COLUMNS))
    return frame.astype({"seq": "int64", "t": "float64", "quantity": "int64", "fills": "int64",
                         "stated": "float64", "mid_before": "float64", "mid_after": "float64",
                         "impact": "float64", "toward": "boolean", "away": "boolean"})
