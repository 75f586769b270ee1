"""Central limit order book for the YES share of one question.

Levels are indexed by tick (1..99). Each level is a FIFO queue; a cancelled order is
marked inactive and dropped when it reaches the front of its queue, so a cancel costs
O(1) and a level's quantity counter stays exact. A level is compacted once its inactive
orders outnumber the active ones by more than COMPACT_SLACK. Otherwise an order that stays
at the front for long would keep every order cancelled behind it in memory. The book does
no collateral accounting: `market.exchange.Exchange` owns the ledger and drives matching.
"""

from __future__ import annotations

from collections import deque

from market.types import MAX_PRICE, MIN_PRICE, BookLevel, L2Snapshot, Side

NO_BID = MIN_PRICE - 1
NO_ASK = MAX_PRICE + 1
COMPACT_SLACK = 16
"""Excess of inactive over active orders that a level's queue may contain before compaction."""


class Order:
    """A resting or incoming order on the YES book. `quantity` is what remains open."""

    __slots__ = ("order_id", "agent_id", "side", "price", "quantity", "original_quantity",
                 "sequence", "active")

    def __init__(self, order_id: int, agent_id: str, side: Side, price: int, quantity: int,
                 sequence: int) -> None:
        self.order_id = order_id
        self.agent_id = agent_id
        self.side = side
        self.price = price
        self.quantity = quantity
        self.original_quantity = quantity
        self.sequence = sequence
        self.active = True

    def __repr__(self) -> str:
        return (f"Order(id={self.order_id}, agent={self.agent_id!r}, {self.side.value} "
                f"{self.quantity}@{self.price})")


class OrderBook:
    """Price-time priority book with per-level FIFO queues."""

    def __init__(self) -> None:
        size = MAX_PRICE + 2
        self._queues: dict[Side, list[deque[Order]]] = {
            Side.BUY: [deque() for _ in range(size)],
            Side.SELL: [deque() for _ in range(size)],
        }
        self._level_quantity: dict[Side, list[int]] = {Side.BUY: [0] * size, Side.SELL: [0] * size}
        self._level_orders: dict[Side, list[int]] = {Side.BUY: [0] * size, Side.SELL: [0] * size}
        self.best_bid_price = NO_BID
        self.best_ask_price = NO_ASK

    # Queries

    @property
    def best_bid(self) -> int | None:
        return self.best_bid_price if self.best_bid_price != NO_BID else None

    @property
    def best_ask(self) -> int | None:
        return self.best_ask_price if self.best_ask_price != NO_ASK else None

    @property
    def mid(self) -> float | None:
        """Midpoint of best bid and ask in ticks, or None when either side is empty."""
        if self.best_bid_price == NO_BID or self.best_ask_price == NO_ASK:
            return None
        return (self.best_bid_price + self.best_ask_price) / 2

    @property
    def spread(self) -> int | None:
        if self.best_bid_price == NO_BID or self.best_ask_price == NO_ASK:
            return None
        return self.best_ask_price - self.best_bid_price

    def is_crossed(self) -> bool:
        return (self.best_bid_price != NO_BID and self.best_ask_price != NO_ASK
                and self.best_bid_price >= self.best_ask_price)

    def quantity_at(self, side: Side, price: int) -> int:
        return self._level_quantity[side][price]

    def depth(self, side: Side, levels: int | None = None) -> list[BookLevel]:
        """Return up to `levels` non-empty levels of one side (all if None), best price first."""
        if levels is not None and levels < 0:
            raise ValueError(f"levels {levels} is invalid: use 0 or more, or None for all")
        if levels == 0:
            return []
        quantities = self._level_quantity[side]
        counts = self._level_orders[side]
        prices = (range(MAX_PRICE, MIN_PRICE - 1, -1) if side is Side.BUY
                  else range(MIN_PRICE, MAX_PRICE + 1))
        result: list[BookLevel] = []
        for price in prices:
            if quantities[price]:
                result.append(BookLevel(price, quantities[price], counts[price]))
                if levels is not None and len(result) >= levels:
                    break
        return result

    def snapshot(self, levels: int | None = None) -> L2Snapshot:
        """Return aggregated depth (L2) of both sides."""
        return L2Snapshot(bids=tuple(self.depth(Side.BUY, levels)),
                          asks=tuple(self.depth(Side.SELL, levels)))

    def queue(self, side: Side, price: int) -> list[Order]:
        """Return the active orders at one level in priority order."""
        return [order for order in self._queues[side][price] if order.active]

    def front(self, side: Side, price: int) -> Order | None:
        """Return the first active order at a level, dropping cancelled ones ahead of it."""
        queue = self._queues[side][price]
        while queue:
            order = queue[0]
            if order.active:
                return order
            queue.popleft()
        return None

    def total_quantity(self) -> int:
        return sum(self._level_quantity[Side.BUY]) + sum(self._level_quantity[Side.SELL])

    # Changes

    def add(self, order: Order) -> None:
        """Append an order to the back of its level."""
        side = order.side
        price = order.price
        self._queues[side][price].append(order)
        self._level_quantity[side][price] += order.quantity
        self._level_orders[side][price] += 1
        if side is Side.BUY:
            if price > self.best_bid_price:
                self.best_bid_price = price
        elif price < self.best_ask_price:
            self.best_ask_price = price

    def reduce(self, order: Order, quantity: int) -> None:
        """Take `quantity` shares off an order in place (a fill or a size decrease)."""
        order.quantity -= quantity
        self._level_quantity[order.side][order.price] -= quantity
        if order.quantity == 0:
            self._deactivate(order)

    def remove(self, order: Order) -> None:
        """Take an order off the book with whatever quantity it has left."""
        self._level_quantity[order.side][order.price] -= order.quantity
        self._deactivate(order)

    def _deactivate(self, order: Order) -> None:
        order.active = False
        side = order.side
        price = order.price
        counts = self._level_orders[side]
        counts[price] -= 1
        if counts[price]:
            # A rebuild costs O(queue length) and needs more than half that many
            # deactivations since the last one, so it stays O(1) per cancel on average.
            queue = self._queues[side][price]
            if len(queue) > 2 * counts[price] + COMPACT_SLACK:
                self._queues[side][price] = deque(o for o in queue if o.active)
            return
        self._queues[side][price].clear()
        quantities = self._level_quantity[side]
        if side is Side.BUY and price == self.best_bid_price:
            while self.best_bid_price != NO_BID and not quantities[self.best_bid_price]:
                self.best_bid_price -= 1
        elif side is Side.SELL and price == self.best_ask_price:
            while self.best_ask_price != NO_ASK and not quantities[self.best_ask_price]:
                self.best_ask_price += 1
