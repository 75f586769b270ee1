"""Per agent and session figures: final position against belief, Kelly gap, revealed interval.

One row per (session, agent), computed from a session's observation tables. Definitions,
with p the agent's last stated probability and x its final signed YES position:

- **against own prediction**: x > 0 while p < 0.5, or x < 0 while p > 0.5, so the agent
  ends holding the side its own last belief calls less likely. False at x = 0 or
  p = 0.5, and <NA> when the agent stated no belief. This is not irrational by itself:
  with belief 0.62 and YES at 0.70 a rational trader buys NO and ends "against".
- **expected value / expected loss** (cents): EV_total = sum over fills with a stated
  belief of 100 * EV * quantity, and expected loss = sum over contradictory fills of
  -100 * EV * quantity (a positive number of cents the agent expects to lose by its own
  belief).
- **Kelly gap**: q is the reference price (last trade, else mid) when the agent made its
  last statement. W is its wealth at the end of trading marked at q: starting cash
  plus, over all its fills, quantity * (100 q - price) for a buy and
  quantity * (price - 100 q) for a sell (see `market.oracle.kelly.marked_wealth`). The
  Kelly stake f* = kelly_fraction(p, q), the stake actually held f = held_fraction(x, q, W),
  and the Kelly gap is f - f* in fractions of wealth (0: exactly Kelly, -f*/2: half
  Kelly, of the opposite sign to f*: on the wrong side). `kelly_position` and
  `position_gap` give the same in shares. Marking to q rather than waiting for
  settlement keeps the outcome out of the sizing, as it is for the agent.
- **revealed interval** at the end: [max buy price, min sell price] / 100 over all of
  the agent's fills, empty when max buy - min sell > 2 epsilon (no belief keeps every fill
  non-contradictory).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from market.oracle.fills import BUY, DEFAULT_EPSILON, SELL, TOLERANCE
from market.oracle.kelly import held_fraction, kelly_fraction, kelly_position, marked_wealth
from market.oracle.record import SessionRecord

AGENT_SESSION_COLUMNS = (
    "session", "agent", "kind", "outcome", "starting_cash", "static", "stated",
    "final_position", "pnl", "fills", "judged_fills", "contradictory_fills", "statements",
    "against_own_prediction", "expected_value", "expected_loss", "revealed_lower",
    "revealed_upper", "revealed_empty", "reference_price", "wealth", "kelly_fraction",
    "held_fraction", "kelly_gap", "kelly_position", "position_gap", "taker_orders",
    "impact", "impact_toward", "impact_away",
)


def against_own_prediction(position: int, probability: float | None) -> bool | None:
    """Return whether `position` is on the side that `probability` calls less likely.

    None when there is no probability.
    """
    if probability is None or np.isnan(probability):
        return None
    return bool((position > 0 and probability < 0.5) or (position < 0 and probability > 0.5))


def agent_session_table(record: SessionRecord, taker_orders: pd.DataFrame,
                        epsilon: float = DEFAULT_EPSILON) -> pd.DataFrame:
    """Return one row per agent of the session with the figures in this module's docstring.

    `taker_orders` is the session's table from `taker_order_table`.
    """
    rows = []
    fills_by_agent = dict(tuple(record.fills.groupby("agent"))) if len(record.fills) else {}
    orders_by_agent = dict(tuple(taker_orders.groupby("agent"))) if len(taker_orders) else {}
    for agent in record.agents.itertuples(index=False):
        fills = fills_by_agent.get(agent.agent, record.fills.iloc[:0])
        orders = orders_by_agent.get(agent.agent, taker_orders.iloc[:0])
        rows.append(_agent_row(record, agent, fills, orders, epsilon))
    frame = pd.DataFrame(rows, columns=list(AGENT_SESSION_COLUMNS))
    return frame.astype({"starting_cash": "Int64", "pnl": "Int64",
                         "against_own_prediction": "boolean", "revealed_empty": "boolean",
                         "static": "float64", "stated": "float64", "expected_value": "float64",
                         "expected_loss": "float64", "revealed_lower": "float64",
                         "revealed_upper": "float64", "reference_price": "float64",
                         "wealth": "float64", "kelly_fraction": "float64",
                         "held_fraction": "float64", "kelly_gap": "float64",
                         "kelly_position": "float64", "position_gap": "float64",
                         "impact": "float64"})


def _agent_row(record: SessionRecord, agent, fills: pd.DataFrame,  # noqa: ANN001 - a row tuple
               orders: pd.DataFrame, epsilon: float) -> dict[str, object]:
    stated = None if pd.isna(agent.stated) else float(agent.stated)
    position = int(agent.final_position)

    # Expected value and loss under the stated belief, in cents.
    judged = fills[fills["ev_stated"].notna()]
    cents = 100 * judged["ev_stated"] * judged["quantity"]
    contradictory = judged["contradictory"].astype(bool)
    expected_value = float(cents.sum()) if stated is not None else float("nan")
    expected_loss = float(-cents[contradictory].sum()) if stated is not None else float("nan")

    # Revealed interval after all fills.
    buys = fills.loc[fills["direction"] == BUY, "price"]
    sells = fills.loc[fills["direction"] == SELL, "price"]
    lower = buys.max() / 100 if len(buys) else float("nan")
    upper = sells.min() / 100 if len(sells) else float("nan")
    empty = bool(len(buys) and len(sells) and lower - upper > 2 * (epsilon + TOLERANCE))

    # Kelly sizing at the reference price of the last statement.
    reference = agent.reference_price
    price = reference / 100 if pd.notna(reference) and 0 < reference < 100 else float("nan")
    cash = agent.starting_cash
    if stated is None or np.isnan(price) or pd.isna(cash):
        wealth = target_fraction = held_stake = target_position = float("nan")
    else:
        wealth = marked_wealth(float(cash), fills["direction"].tolist(),
                               fills["price"].astype(float).tolist(),
                               fills["quantity"].astype(float).tolist(), price)
        target_fraction = kelly_fraction(stated, price)
        held_stake = held_fraction(float(position), price, wealth)
        target_position = kelly_position(stated, price, wealth)

    moved = orders[orders["impact"].notna()]
    return {
        "session": record.session_id,
        "agent": agent.agent,
        "kind": agent.kind,
        "outcome": record.outcome,
        "starting_cash": agent.starting_cash,
        "static": agent.static,
        "stated": stated,
        "final_position": position,
        "pnl": agent.pnl,
        "fills": len(fills),
        "judged_fills": len(judged),
        "contradictory_fills": int(contradictory.sum()),
        "statements": int(agent.statements),
        "against_own_prediction": against_own_prediction(position, stated),
        "expected_value": expected_value,
        "expected_loss": expected_loss,
        "revealed_lower": lower,
        "revealed_upper": upper,
        "revealed_empty": empty,
        "reference_price": reference,
        "wealth": wealth,
        "kelly_fraction": target_fraction,
        "held_fraction": held_stake,
        "kelly_gap": held_stake - target_fraction,
        "kelly_position": target_position,
        "position_gap": position - target_position,
        "taker_orders": len(moved),
        "impact": float(moved["impact"].sum()),
        "impact_toward": int(moved["toward"].fillna(False).sum()),
        "impact_away": int(moved["away"].fillna(False).sum()),
    }
