"""A session's replay, precomputed once so that any moment t is a slice.

`Timeline` contains one session's record as sorted numpy arrays and small DataFrames:
trades, decisions, news, contradiction flags, every agent's fills, and the order book
as level deltas with checkpoints. Every `*_at(t)` method counts the rows with time <= t
by binary search, so moving the replay's time slider costs a few searches and slices,
not a pass over the record. The module is pure (no Streamlit, no I/O): `ui.loader`
builds a Timeline from a store.

Units follow the exchange: prices are YES cents (1..99), cash and PnL are cents,
positions are signed YES shares (negative = long NO), times are simulated seconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

PAYOUT = 100
"""Cents paid per winning share at settlement."""

LEVELS = 100
"""Book arrays have one slot per price 0..99; bids use slots 0..99, asks 100..199."""

CHECKPOINT_EVERY = 2048
"""Book deltas between two stored cumulative book states."""

MAX_CHART_POINTS = 600
"""Upper bound of points per chart line, about one per pixel of the chart's width.
Longer sessions are sampled on a uniform grid, because each point costs the browser
redraw time on every slider move."""

@dataclass(frozen=True)
class OrderEvent:
    """The fields of one order event that the book reconstruction needs."""

    seq: int
    t: float
    type: str
    order_id: int | None
    side: str | None
    price: int | None
    quantity: int | None
    maker_order_id: int | None = None
    taker_order_id: int | None = None


@dataclass(frozen=True)
class BookHistory:
    """The book's resting quantity per (side, price) level after every order event.

    Entry i of the arrays changes level `levels[i]` by `quantities[i]` shares at time
    `times[i]`. `checkpoints[k]` is the sum of the first k * CHECKPOINT_EVERY deltas,
    so the book after n deltas is one checkpoint plus fewer than CHECKPOINT_EVERY
    deltas.
    """

    times: np.ndarray
    seqs: np.ndarray
    levels: np.ndarray
    quantities: np.ndarray
    checkpoints: np.ndarray

    def depth_after(self, count: int) -> np.ndarray:
        """Return the 2 * LEVELS quantities after the first `count` deltas."""
        base = count // CHECKPOINT_EVERY
        start = base * CHECKPOINT_EVERY
        depth = self.checkpoints[base].copy()
        if count > start:
            depth += np.bincount(self.levels[start:count], weights=self.quantities[start:count],
                                 minlength=2 * LEVELS).astype(np.int64)
        return depth

    def count_at(self, t: float) -> int:
        return int(np.searchsorted(self.times, t, side="right"))

    def count_before_seq(self, seq: int) -> int:
        return int(np.searchsorted(self.seqs, seq, side="left"))


def build_book(events: Iterable[OrderEvent]) -> BookHistory:
    """Replay order events into level deltas.

    An `accepted` row adds the order's quantity at its level, and a trade removes its
    quantity from the maker's and the taker's order. A `cancelled` row removes what the
    order had left, and `replaced` moves the remainder to its new price and size. An
    IOC or market order therefore appears for no time at all, because its remainder's
    `cancelled` row has the same time as its `accepted` row. Raises ValueError on an
    event about an order that is not open: the record then does not describe one book.
    """
    open_orders: dict[int, list[int]] = {}  # order id -> [level, remaining]
    times: list[float] = []
    seqs: list[int] = []
    levels: list[int] = []
    quantities: list[int] = []

    def change(event: OrderEvent, level: int, quantity: int) -> None:
        times.append(event.t)
        seqs.append(event.seq)
        levels.append(level)
        quantities.append(quantity)

    def reduce(event: OrderEvent, order_id: int | None, quantity: int) -> None:
        order = open_orders.get(order_id) if order_id is not None else None
        if order is None:
            raise ValueError(f"event seq {event.seq} ({event.type}) names order {order_id}, "
                             "which is not open: the record is not a consistent order stream")
        order[1] -= quantity
        change(event, order[0], -quantity)
        if order[1] <= 0:
            del open_orders[order_id]

    for event in events:
        if event.type == "accepted":
            level = _level(event.side, event.price)
            open_orders[event.order_id] = [level, event.quantity]
            change(event, level, event.quantity)
        elif event.type == "trade":
            reduce(event, event.maker_order_id, event.quantity)
            reduce(event, event.taker_order_id, event.quantity)
        elif event.type == "cancelled":
            # The payload's quantity is the order's unfilled remainder.
            reduce(event, event.order_id, event.quantity)
        elif event.type == "replaced":
            order = open_orders.get(event.order_id)
            if order is None:
                raise ValueError(f"event seq {event.seq} replaces order {event.order_id}, "
                                 "which is not open")
            side = "buy" if order[0] < LEVELS else "sell"
            change(event, order[0], -order[1])
            order[0] = _level(side, event.price)
            order[1] = event.quantity
            change(event, order[0], event.quantity)

    return _history(np.asarray(times, dtype=float), np.asarray(seqs, dtype=np.int64),
                    np.asarray(levels, dtype=np.int64), np.asarray(quantities, dtype=np.int64))


def build_book_arrays(accepted: pd.DataFrame, trades: pd.DataFrame,
                      cancelled: pd.DataFrame) -> BookHistory:
    """Build the same history as `build_book`, vectorized, for records without `replaced`.

    `accepted` has columns seq, t, order_id, side, price, quantity; `trades` seq, t,
    quantity, maker_order_id, taker_order_id; `cancelled` seq, t, order_id, quantity.
    An order keeps the level it was accepted at, which only `replaced` would change.
    Raises ValueError when a trade or cancel names an order that was never accepted.
    """
    order_ids = accepted["order_id"].to_numpy(np.int64)
    side_offset = np.where(accepted["side"].to_numpy(object) == "sell", LEVELS, 0)
    prices = accepted["price"].to_numpy(np.int64)
    if len(prices) and (prices.min() < 1 or prices.max() >= LEVELS):
        raise ValueError(f"accepted order prices span {prices.min()}..{prices.max()}, "
                         "outside 1..99 cents")
    largest = max(order_ids.max(initial=0),
                  trades["maker_order_id"].max() if len(trades) else 0,
                  trades["taker_order_id"].max() if len(trades) else 0,
                  cancelled["order_id"].max() if len(cancelled) else 0)
    level_of = np.full(int(largest) + 1, -1, dtype=np.int64)
    level_of[order_ids] = prices + side_offset

    def levels_of(ids: np.ndarray, event_type: str) -> np.ndarray:
        levels = level_of[ids.astype(np.int64)]
        if (levels < 0).any():
            unknown = ids[levels < 0][0]
            raise ValueError(f"a {event_type} names order {unknown}, which was never accepted: "
                             "the record is not a consistent order stream")
        return levels

    trade_seq = trades["seq"].to_numpy(np.int64)
    trade_t = trades["t"].to_numpy(float)
    trade_quantity = trades["quantity"].to_numpy(np.int64)
    seqs = np.concatenate([accepted["seq"].to_numpy(np.int64), trade_seq, trade_seq,
                           cancelled["seq"].to_numpy(np.int64)])
    times = np.concatenate([accepted["t"].to_numpy(float), trade_t, trade_t,
                            cancelled["t"].to_numpy(float)])
    levels = np.concatenate([
        level_of[order_ids],
        levels_of(trades["maker_order_id"].to_numpy(), "trade"),
        levels_of(trades["taker_order_id"].to_numpy(), "trade"),
        levels_of(cancelled["order_id"].to_numpy(), "cancel"),
    ])
    quantities = np.concatenate([accepted["quantity"].to_numpy(np.int64), -trade_quantity,
                                 -trade_quantity, -cancelled["quantity"].to_numpy(np.int64)])
    order = np.argsort(seqs, kind="stable")
    return _history(times[order], seqs[order], levels[order], quantities[order])


def _history(times: np.ndarray, seqs: np.ndarray, levels: np.ndarray,
             quantities: np.ndarray) -> BookHistory:
    levels = np.asarray(levels, dtype=np.int64)
    quantities = np.asarray(quantities, dtype=np.int64)
    checkpoints = np.zeros((len(levels) // CHECKPOINT_EVERY + 1, 2 * LEVELS), dtype=np.int64)
    for index in range(1, len(checkpoints)):
        start = (index - 1) * CHECKPOINT_EVERY
        stop = index * CHECKPOINT_EVERY
        checkpoints[index] = checkpoints[index - 1] + np.bincount(
            levels[start:stop], weights=quantities[start:stop],
            minlength=2 * LEVELS).astype(np.int64)
    return BookHistory(np.asarray(times, dtype=float), np.asarray(seqs, dtype=np.int64),
                       levels, quantities, checkpoints)


def _level(side: str | None, price: int | None) -> int:
    if price is None or not 0 < price < LEVELS:
        raise ValueError(f"order price {price!r} is outside 1..99 cents")
    if side == "buy":
        return price
    if side == "sell":
        return LEVELS + price
    raise ValueError(f"order side {side!r} is invalid: expected 'buy' or 'sell'")


def best_quotes(depth: np.ndarray) -> tuple[int | None, int | None]:
    """Return (best bid, best ask) in cents of one book state, None for an empty side."""
    bids = np.flatnonzero(depth[:LEVELS] > 0)
    asks = np.flatnonzero(depth[LEVELS:] > 0)
    bid = int(bids[-1]) if len(bids) else None
    ask = int(asks[0]) if len(asks) else None
    return bid, ask


def ladder(depth: np.ndarray, levels: int = 10) -> pd.DataFrame:
    """Return the book as a price ladder: the best `levels` prices per side, high to low.

    Columns: price (cents), bid (shares resting to buy YES at that price), ask (shares
    resting to sell). A row has one side only, because the book is never crossed.
    """
    bid_prices = np.flatnonzero(depth[:LEVELS] > 0)[::-1][:levels]
    ask_prices = np.flatnonzero(depth[LEVELS:] > 0)[:levels]
    rows = [(int(price), 0, int(depth[LEVELS + price])) for price in ask_prices[::-1]]
    rows += [(int(price), int(depth[price]), 0) for price in bid_prices]
    return pd.DataFrame(rows, columns=["price", "bid", "ask"])


# Per-agent accounts


@dataclass(frozen=True)
class AgentFills:
    """One agent's fills in time order, with running position and cash flows.

    `flow` is the running sum of -price * signed quantity, the cash of a ledger that
    pays the price for every bought share and receives it for every sold one. The
    exchange's ledger locks 100 - price for each NO share instead, so its cash is
    `deposit + flow - 100 * max(-position, 0)`: both count a short YES share as an
    obligation of 100 at settlement.
    """

    times: np.ndarray
    positions: np.ndarray
    flows: np.ndarray


@dataclass(frozen=True)
class AgentInfo:
    """An agent's identity and the figures recorded before trading."""

    agent_id: str
    kind: str
    deposit: int
    static: float | None


def build_fills(trades: pd.DataFrame, agent_ids: Iterable[str]) -> dict[str, AgentFills]:
    """Split trades into each agent's fills: the taker on `taker_side`, the maker opposite."""
    buy = (trades["taker_side"] == "buy").to_numpy()
    quantity = trades["quantity"].to_numpy(np.int64)
    price = trades["price"].to_numpy(np.int64)
    taker_signed = np.where(buy, quantity, -quantity)
    frame = pd.DataFrame({
        "agent": np.concatenate([trades["taker"].to_numpy(object),
                                 trades["maker"].to_numpy(object)]),
        "seq": np.concatenate([trades["seq"].to_numpy(), trades["seq"].to_numpy()]),
        "t": np.concatenate([trades["t"].to_numpy(float), trades["t"].to_numpy(float)]),
        "signed": np.concatenate([taker_signed, -taker_signed]),
        "price": np.concatenate([price, price]),
    }).sort_values(["agent", "seq"], kind="stable")

    fills = {}
    groups = dict(tuple(frame.groupby("agent", sort=False)))
    for agent_id in agent_ids:
        group = groups.get(agent_id)
        if group is None:
            empty = np.zeros(0)
            fills[agent_id] = AgentFills(empty, empty.astype(np.int64), empty.astype(np.int64))
            continue
        signed = group["signed"].to_numpy(np.int64)
        fills[agent_id] = AgentFills(group["t"].to_numpy(float), np.cumsum(signed),
                                     np.cumsum(-signed * group["price"].to_numpy(np.int64)))
    return fills


# Chart series


@dataclass(frozen=True)
class ChartSeries:
    """Lines of the price chart sampled at common times, each value the latest at or before.

    `times` are every distinct event time when there are at most `max_points` of them
    (MAX_CHART_POINTS by default), otherwise a uniform grid over the session, and then a
    move inside one grid step is not drawn. Prices are cents and beliefs are stated
    probabilities * 100, NaN before the first value.
    """

    times: np.ndarray
    last: np.ndarray
    bid: np.ndarray
    ask: np.ndarray
    mid: np.ndarray
    beliefs: dict[str, np.ndarray]
    sampled: bool

    def count_at(self, t: float) -> int:
        return int(np.searchsorted(self.times, t, side="right"))


def sample_last(times: np.ndarray, values: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Return the latest value at or before each time of `at` (NaN before the first)."""
    index = np.searchsorted(times, at, side="right") - 1
    sampled = np.full(len(at), np.nan)
    known = index >= 0
    sampled[known] = np.asarray(values, dtype=float)[index[known]]
    return sampled


def build_chart(book: BookHistory, trades: pd.DataFrame, decisions: pd.DataFrame,
                agent_ids: Iterable[str], end: float,
                max_points: int = MAX_CHART_POINTS) -> ChartSeries:
    """Sample the last trade, the quotes and each agent's stated belief for the price chart."""
    event_times = np.unique(np.concatenate([book.times, trades["t"].to_numpy(float),
                                            decisions["t"].to_numpy(float), [0.0, end]]))
    sampled = len(event_times) > max_points
    times = np.linspace(0.0, end, max_points) if sampled else event_times

    # The book after all deltas up to each chart time, one bincount per time step.
    counts = np.searchsorted(book.times, times, side="right")
    bid = np.full(len(times), np.nan)
    ask = np.full(len(times), np.nan)
    depth = np.zeros(2 * LEVELS, dtype=np.int64)
    done = 0
    for index, count in enumerate(counts):
        if count > done:
            depth += np.bincount(book.levels[done:count], weights=book.quantities[done:count],
                                 minlength=2 * LEVELS).astype(np.int64)
            done = count
        best_bid, best_ask = best_quotes(depth)
        if best_bid is not None:
            bid[index] = best_bid
        if best_ask is not None:
            ask[index] = best_ask
    mid = (bid + ask) / 2

    last = sample_last(trades["t"].to_numpy(float), trades["price"].to_numpy(float), times)
    beliefs = {}
    stated = decisions[decisions["probability"].notna()]
    for agent_id in agent_ids:
        own = stated[stated["agent"] == agent_id]
        if len(own):
            beliefs[agent_id] = sample_last(own["t"].to_numpy(float),
                                            100 * own["probability"].to_numpy(float), times)
    return ChartSeries(times, last, bid, ask, mid, beliefs, sampled)


# The timeline


@dataclass(frozen=True)
class Timeline:
    """One session's record, indexed for replay at any simulated time.

    `end` is the time of the last recorded event: the horizon for a finished session,
    earlier for one that stopped. `outcome` is "yes", "no", "annulled" or None before
    resolution, and `settled` contains each agent's settlement row (cash, position, pnl).
    """

    session_id: str
    horizon: float
    end: float
    events: int
    agents: dict[str, AgentInfo]
    trades: pd.DataFrame
    decisions: pd.DataFrame
    news: pd.DataFrame
    contradictions: pd.DataFrame
    book: BookHistory
    fills: dict[str, AgentFills]
    chart: ChartSeries
    outcome: str | None
    resolved_at: float | None
    final_price: float | None
    settled: dict[str, dict[str, object]] = field(default_factory=dict)

    # Counting rows up to t

    def trade_count(self, t: float) -> int:
        return int(np.searchsorted(self.trades["t"].to_numpy(), t, side="right"))

    def decision_count(self, t: float) -> int:
        return int(np.searchsorted(self.decisions["t"].to_numpy(), t, side="right"))

    def news_count(self, t: float) -> int:
        return int(np.searchsorted(self.news["t"].to_numpy(), t, side="right"))

    def contradiction_count(self, t: float) -> int:
        return int(np.searchsorted(self.contradictions["t"].to_numpy(), t, side="right"))

    # State at t

    def depth_at(self, t: float) -> np.ndarray:
        return self.book.depth_after(self.book.count_at(t))

    def last_price_at(self, t: float) -> int | None:
        count = self.trade_count(t)
        return int(self.trades["price"].iat[count - 1]) if count else None

    def mark_at(self, t: float) -> float | None:
        """Return the price that positions are marked at: the last trade, else the mid."""
        last = self.last_price_at(t)
        if last is not None:
            return float(last)
        bid, ask = best_quotes(self.depth_at(t))
        if bid is None or ask is None:
            return None
        return (bid + ask) / 2

    def settled_at(self, t: float) -> bool:
        return bool(self.settled) and self.resolved_at is not None and t >= self.resolved_at

    def accounts_at(self, t: float) -> pd.DataFrame:
        """Return each agent's position, cash and PnL at t, marked at `mark_at(t)`.

        After settlement the figures are the recorded settlement rows. Columns: agent,
        kind, position (shares), cash (cents, including collateral locked by open
        orders), mark (cents), pnl (cents, NaN when there is no price to mark at yet).
        """
        settled = self.settled_at(t)
        mark = self.mark_at(t)
        rows = []
        for agent_id, info in self.agents.items():
            if settled and agent_id in self.settled:
                row = self.settled[agent_id]
                payout = {"yes": PAYOUT, "no": 0}.get(self.outcome or "")
                rows.append((agent_id, info.kind, int(row["position"]), int(row["cash"]),
                             payout, float(row["pnl"])))
                continue
            fills = self.fills[agent_id]
            count = int(np.searchsorted(fills.times, t, side="right"))
            position = int(fills.positions[count - 1]) if count else 0
            flow = int(fills.flows[count - 1]) if count else 0
            cash = info.deposit + flow - PAYOUT * max(-position, 0)
            pnl = flow + position * mark if mark is not None else (
                float(flow) if position == 0 else np.nan)
            rows.append((agent_id, info.kind, position, cash, mark, pnl))
        return pd.DataFrame(rows, columns=["agent", "kind", "position", "cash", "mark", "pnl"])
