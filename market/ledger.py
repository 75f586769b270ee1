"""Per-agent accounts: cash, signed YES position, cost basis, and collateral locks.

Full collateral, no leverage. A position of x > 0 is x YES shares and x < 0 is -x NO
shares; every YES share outstanding is matched by a NO share, and each such pair is
backed by 100 cents held by the exchange. Cash is integer cents and never negative.

Collateral lock of open orders. Resting orders of one agent on one side fill in price
priority (sells lowest price first, buys highest first), and the first shares to fill
close the agent's existing position. A sell share that closes a YES share costs
nothing; one that opens a NO share costs 100 - p. A buy share that closes a NO share
costs nothing; one that opens a YES share costs p. So the lock of one side is the sum
of those costs over its shares in fill order after skipping the shares the position
covers, and the lock of the account is the sum of both sides. The exchange keeps
`cash >= locked` after every call, which is what "cash never goes negative" needs
whatever subset of the orders fills later.
"""

from __future__ import annotations

from collections.abc import Iterable

from market.book import Order
from market.types import PAYOUT, OpenOrder, Side

OrderSpec = tuple[Side, int, int]
"""An order as (side, price in ticks, quantity in shares)."""


def collateral_required(position: int, orders: Iterable[OrderSpec],
                        incoming: OrderSpec | None = None) -> int:
    """Return the cents the exchange locks for `orders` plus an `incoming` order.

    This is `Account.required_lock` for callers that have only (side, price, quantity)
    triples, such as agents sizing orders from an observation. On each side, orders
    fill best price first, and an incoming order counts ahead of all resting ones. The
    first shares in that order close the existing position and need no lock (sells
    close YES shares, buys close NO shares). Every other buy share locks its price and
    every other sell share locks 100 - price. The exchange accepts an order when this
    total is at most the cash.
    """
    by_side: dict[Side, list[OrderSpec]] = {Side.BUY: [], Side.SELL: []}
    for order in orders:
        by_side[order[0]].append(order)
    by_side[Side.BUY].sort(key=lambda order: -order[1])
    by_side[Side.SELL].sort(key=lambda order: order[1])
    if incoming is not None:
        by_side[incoming[0]].insert(0, incoming)

    total = 0
    for side, cover in ((Side.BUY, max(-position, 0)), (Side.SELL, max(position, 0))):
        for _, price, quantity in by_side[side]:
            covered = min(cover, quantity)
            cover -= covered
            lock_per_share = price if side is Side.BUY else PAYOUT - price
            total += (quantity - covered) * lock_per_share
    return total



class Account:
    """One agent's money and position on one question's exchange."""

    __slots__ = ("agent_id", "deposit", "cash", "position", "basis", "realized", "orders",
                 "buy_notional", "sell_notional", "buy_quantity", "sell_quantity", "locked")

    def __init__(self, agent_id: str, cash: int) -> None:
        self.agent_id = agent_id
        self.deposit = cash
        self.cash = cash
        """Total cash in cents, including the part locked by open orders."""
        self.position = 0
        """Signed YES position: positive is long YES, negative is long NO."""
        self.basis = 0
        """Cents paid for the shares currently held (YES shares if long, NO if short)."""
        self.realized = 0
        """Realized PnL in cents from closing shares, before settlement."""
        self.orders: dict[int, Order] = {}
        self.buy_notional = 0
        """Sum of price * quantity over open buy orders."""
        self.sell_notional = 0
        """Sum of (100 - price) * quantity over open sell orders."""
        self.buy_quantity = 0
        self.sell_quantity = 0
        self.locked = 0
        """Cents of `cash` reserved by open orders; see the module docstring."""

    @property
    def free_cash(self) -> int:
        return self.cash - self.locked

    @property
    def average_cost(self) -> float | None:
        """Average price paid per held share (of YES if long, of NO if short), in cents."""
        if self.position == 0:
            return None
        return self.basis / abs(self.position)

    def unrealized_pnl(self, mark: int) -> int:
        """Return the PnL of the held shares marked at YES price `mark` (ticks)."""
        if self.position > 0:
            return self.position * mark - self.basis
        if self.position < 0:
            return -self.position * (PAYOUT - mark) - self.basis
        return 0

    def open_orders(self) -> list[OpenOrder]:
        return [OpenOrder(o.order_id, o.side, o.price, o.quantity, o.original_quantity)
                for o in self.orders.values()]

    # Order bookkeeping

    def track(self, order: Order) -> None:
        self.orders[order.order_id] = order
        self._add_notional(order.side, order.price, order.quantity)

    def untrack(self, order: Order) -> None:
        del self.orders[order.order_id]
        self._add_notional(order.side, order.price, -order.quantity)

    def shrink(self, order: Order, quantity: int) -> None:
        """Account for `quantity` shares leaving an open order (call before the book reduces it)."""
        self._add_notional(order.side, order.price, -quantity)
        if order.quantity == quantity:
            del self.orders[order.order_id]

    def _add_notional(self, side: Side, price: int, quantity: int) -> None:
        if side is Side.BUY:
            self.buy_notional += price * quantity
            self.buy_quantity += quantity
        else:
            self.sell_notional += (PAYOUT - price) * quantity
            self.sell_quantity += quantity

    # Collateral

    def required_lock(self, incoming: tuple[Side, int, int] | None = None,
                      excluding: Order | None = None, incoming_first: bool = True) -> int:
        """Return the lock the open orders need, optionally with one more order.

        `incoming` is (side, price, quantity) of an order about to enter the book. With
        `incoming_first`, for an order that crosses the book and may fill at once, it is
        placed first in fill order. Otherwise it takes its place by price, as it will once
        it rests. `excluding` leaves one open order out (the order a replace takes off the
        book).
        """
        if incoming is None and excluding is None:
            # Fast path without sorting. The position covers at most one side, and when it
            # covers none or all of that side, the lock is a sum of notionals.
            position = self.position
            if position == 0:
                return self.buy_notional + self.sell_notional
            if 0 < position and self.sell_quantity <= position:
                return self.buy_notional
            if position < 0 and self.buy_quantity <= -position:
                return self.sell_notional
        buy = self._side_lock(Side.BUY, max(-self.position, 0), incoming, excluding,
                              incoming_first)
        sell = self._side_lock(Side.SELL, max(self.position, 0), incoming, excluding,
                               incoming_first)
        return buy + sell

    def _side_lock(self, side: Side, cover: int, incoming: tuple[Side, int, int] | None,
                   excluding: Order | None, incoming_first: bool) -> int:
        if side is Side.BUY:
            notional, quantity = self.buy_notional, self.buy_quantity
        else:
            notional, quantity = self.sell_notional, self.sell_quantity
        first: tuple[int, int] | None = None
        if incoming is not None and incoming[0] is side:
            lock_per_share = incoming[1] if side is Side.BUY else PAYOUT - incoming[1]
            first = (lock_per_share, incoming[2])
            notional += lock_per_share * incoming[2]
            quantity += incoming[2]
        if excluding is not None and excluding.side is side:
            notional -= _lock_per_share(excluding) * excluding.quantity
            quantity -= excluding.quantity

        # Fast paths: nothing covered, or everything covered.
        if cover == 0:
            return notional
        if cover >= quantity:
            return 0

        # Covered shares are the first in fill order; they need no lock.
        credit = 0
        if first is not None and incoming_first:
            used = min(cover, first[1])
            credit += used * first[0]
            cover -= used
        resting = [(_lock_per_share(o), o.quantity) for o in self.orders.values()
                   if o.side is side and o is not excluding]
        if first is not None and not incoming_first:
            resting.append(first)
        # A side fills best price first, which is also its costliest share first (the
        # highest p for buys, the highest 100 - p for sells). Equal prices cost the same.
        resting.sort(reverse=True)
        for lock_per_share, order_quantity in resting:
            if cover == 0:
                break
            used = min(cover, order_quantity)
            credit += used * lock_per_share
            cover -= used
        return notional - credit

    # Fills

    def apply_fill(self, side: Side, price: int, quantity: int) -> tuple[int, int]:
        """Apply a fill of this account's order; return (shares opened, shares closed)."""
        if side is Side.BUY:
            closed = min(quantity, max(-self.position, 0))
            if closed:
                self._close(closed, (PAYOUT - price) * closed)
                self.position += closed
            opened = quantity - closed
            if opened:
                self.cash -= price * opened
                self.basis += price * opened
                self.position += opened
        else:
            closed = min(quantity, max(self.position, 0))
            if closed:
                self._close(closed, price * closed)
                self.position -= closed
            opened = quantity - closed
            if opened:
                self.cash -= (PAYOUT - price) * opened
                self.basis += (PAYOUT - price) * opened
                self.position -= opened
        return opened, closed

    def _close(self, shares: int, proceeds: int) -> None:
        # Floor division leaves any rounding remainder in the basis of the shares still
        # held, so the realized PnL over a fully closed position is exact.
        held = abs(self.position)
        basis_part = self.basis * shares // held
        self.basis -= basis_part
        self.realized += proceeds - basis_part
        self.cash += proceeds


def _lock_per_share(order: Order) -> int:
    return order.price if order.side is Side.BUY else PAYOUT - order.price
