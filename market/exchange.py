"""The exchange for one binary question: order book, ledger and settlement together.

Every public call validates its input, changes state only if the request is valid and
covered by collateral, and returns the events it caused. Rejected requests leave the
book and every account unchanged.

Conservation: the sum over accounts of cash (free plus locked by orders) plus 100
cents per outstanding YES/NO pair equals the sum of deposits, from the first deposit
to settlement. `check_invariants` verifies it along with the book's own invariants.
"""

from __future__ import annotations

import math
from numbers import Integral

from market.book import Order, OrderBook
from market.events import (
    Accepted,
    AccountOpened,
    Cancelled,
    Event,
    Rejected,
    Replaced,
    Settled,
    Trade,
)
from market.ledger import Account
from market.types import (
    MAX_PRICE,
    MIN_PRICE,
    PAYOUT,
    CancelReason,
    Contract,
    L2Snapshot,
    OrderKind,
    Outcome,
    RejectReason,
    Side,
    to_yes_order,
)


class InvariantError(AssertionError):
    """Raised by `Exchange.check_invariants` when the exchange state is inconsistent."""


def _as_int(value: object) -> int | None:
    """Return `value` as an int if it is an integral number (not a bool), else None."""
    if type(value) is int:
        return value
    if isinstance(value, bool) or not isinstance(value, Integral):
        return None
    return int(value)


class Exchange:
    """Order book plus full-collateral ledger for the YES share of one question."""

    def __init__(self) -> None:
        self.book = OrderBook()
        self.accounts: dict[str, Account] = {}
        self._orders: dict[int, Order] = {}
        self._next_order_id = 1
        self._next_sequence = 1
        self.outcome: Outcome | None = None
        self.last_trade_price: int | None = None
        self.total_deposits = 0

    # Accounts

    def open_account(self, agent_id: str, cash: int) -> list[Event]:
        """Open an account holding `cash` cents."""
        amount = _as_int(cash)
        if not isinstance(agent_id, str) or not agent_id:
            return [Rejected(str(agent_id), RejectReason.UNKNOWN_AGENT,
                             f"agent id {agent_id!r} is invalid: use a non-empty string")]
        if agent_id in self.accounts:
            return [Rejected(agent_id, RejectReason.DUPLICATE_AGENT,
                             f"agent {agent_id!r} already has an account")]
        if amount is None or amount < 0:
            return [Rejected(agent_id, RejectReason.INVALID_CASH,
                             f"cash {cash!r} is invalid: use a whole number of cents >= 0")]
        self.accounts[agent_id] = Account(agent_id, amount)
        self.total_deposits += amount
        return [AccountOpened(agent_id, amount)]

    def account(self, agent_id: str) -> Account:
        """Return an agent's account; raises KeyError naming the agent if it has none."""
        try:
            return self.accounts[agent_id]
        except KeyError:
            raise KeyError(f"agent {agent_id!r} has no account: call open_account first") from None

    # Queries

    @property
    def best_bid(self) -> int | None:
        return self.book.best_bid

    @property
    def best_ask(self) -> int | None:
        return self.book.best_ask

    @property
    def mid(self) -> float | None:
        return self.book.mid

    @property
    def spread(self) -> int | None:
        return self.book.spread

    def snapshot(self, levels: int | None = None) -> L2Snapshot:
        return self.book.snapshot(levels)

    def open_interest(self) -> int:
        """Outstanding YES/NO pairs, each backed by 100 cents."""
        return sum(account.position for account in self.accounts.values() if account.position > 0)

    def total_value(self) -> int:
        """Cash of all accounts plus the collateral behind outstanding pairs, in cents."""
        return sum(a.cash for a in self.accounts.values()) + PAYOUT * self.open_interest()

    def order(self, order_id: int) -> Order | None:
        """Return an open order by id, or None."""
        return self._orders.get(order_id)

    # Orders

    def submit(self, agent_id: str, side: Side | str, price: int | None, quantity: int,
               kind: OrderKind | str = OrderKind.LIMIT) -> list[Event]:
        """Submit an order on the YES book and match it.

        `price` is the limit in ticks; for a MARKET order it is the worst-price bound and
        may be None (99 for a buy, 1 for a sell).
        """
        events: list[Event] = []
        problem = self._validate_order(agent_id, side, price, quantity, kind)
        if problem is not None:
            return [problem]
        side = side if type(side) is Side else Side(side)
        kind = kind if type(kind) is OrderKind else OrderKind(kind)
        if price is None:
            price = MAX_PRICE if side is Side.BUY else MIN_PRICE
        price = int(price)
        quantity = int(quantity)

        account = self.accounts[agent_id]
        needed = account.required_lock(incoming=(side, price, quantity),
                                       incoming_first=self._crosses(side, price))
        if needed > account.cash:
            return [self._reject_uncovered(account, side, price, quantity, needed)]

        order = Order(self._next_order_id, agent_id, side, price, quantity, self._take_sequence())
        self._next_order_id += 1
        events.append(Accepted(order.order_id, agent_id, side, price, quantity, kind))
        self._match_and_rest(order, kind, events)
        return events

    def submit_contract(self, agent_id: str, contract: Contract | str, side: Side | str,
                        price: int | None, quantity: int,
                        kind: OrderKind | str = OrderKind.LIMIT) -> list[Event]:
        """Submit an order on YES or NO; a NO order goes to the YES book at 100 - price."""
        try:
            contract = Contract(contract)
            side = Side(side)
        except ValueError:
            return [Rejected(str(agent_id), RejectReason.INVALID_SIDE,
                             f"contract {contract!r} or side {side!r} is invalid: "
                             "use contract 'yes'/'no' and side 'buy'/'sell'")]
        if price is not None and contract is Contract.NO:
            problem = self._validate_price(agent_id, price)
            if problem is not None:
                return [problem]
            side, price = to_yes_order(contract, side, int(price))
        elif price is None and contract is Contract.NO:
            side = side.opposite
        return self.submit(agent_id, side, price, quantity, kind)

    def cancel(self, agent_id: str, order_id: int) -> list[Event]:
        """Cancel an open order of `agent_id`."""
        order = self._orders.get(order_id) if _as_int(order_id) is not None else None
        if agent_id not in self.accounts:
            return [self._unknown_agent(agent_id)]
        if order is None:
            return [Rejected(agent_id, RejectReason.UNKNOWN_ORDER,
                             f"order {order_id!r} is not open: it never existed, or it "
                             "was already filled or cancelled", _as_int(order_id))]
        if order.agent_id != agent_id:
            return [Rejected(agent_id, RejectReason.NOT_OWNER,
                             f"order {order_id} belongs to another agent", order.order_id)]
        return [self._cancel_order(order, CancelReason.REQUESTED)]

    def replace(self, agent_id: str, order_id: int, price: int, quantity: int) -> list[Event]:
        """Change an open order's price and size.

        A size decrease at the same price keeps the order's place in its queue. A price
        change or a size increase takes it off the book and enters it again at the back
        (it may trade at once if the new price crosses the spread).
        """
        if agent_id not in self.accounts:
            return [self._unknown_agent(agent_id)]
        order = self._orders.get(order_id) if _as_int(order_id) is not None else None
        if order is None:
            return [Rejected(agent_id, RejectReason.UNKNOWN_ORDER,
                             f"order {order_id!r} is not open: it cannot be replaced",
                             _as_int(order_id))]
        if order.agent_id != agent_id:
            return [Rejected(agent_id, RejectReason.NOT_OWNER,
                             f"order {order_id} belongs to another agent", order.order_id)]
        problem = self._validate_price(agent_id, price) or self._validate_quantity(agent_id,
                                                                                   quantity)
        if problem is not None:
            return [problem]
        price = int(price)
        quantity = int(quantity)
        account = self.accounts[agent_id]

        if price == order.price and quantity <= order.quantity:
            decrease = order.quantity - quantity
            if decrease:
                account.shrink(order, decrease)
                self.book.reduce(order, decrease)
                account.locked = account.required_lock()
            return [Replaced(order.order_id, agent_id, price, quantity, kept_priority=True)]

        needed = account.required_lock(incoming=(order.side, price, quantity), excluding=order,
                                       incoming_first=self._crosses(order.side, price))
        if needed > account.cash:
            return [self._reject_uncovered(account, order.side, price, quantity, needed)]
        account.untrack(order)
        self.book.remove(order)
        del self._orders[order.order_id]
        events: list[Event] = [Replaced(order.order_id, agent_id, price, quantity,
                                        kept_priority=False)]
        new_order = Order(order.order_id, agent_id, order.side, price, quantity,
                          self._take_sequence())
        self._match_and_rest(new_order, OrderKind.LIMIT, events)
        return events

    # Settlement

    def settle(self, outcome: Outcome | str) -> list[Event]:
        """Cancel every open order and pay out: 100 cents per winning share.

        ANNULLED returns every account to its deposit, which unwinds all trades at cost.
        """
        try:
            outcome = Outcome(outcome)
        except ValueError:
            raise ValueError(f"outcome {outcome!r} is invalid: use 'yes', 'no' or "
                             "'annulled'") from None
        if self.outcome is not None:
            raise ValueError(f"the market already settled as {self.outcome.value}")
        events: list[Event] = []
        for order in sorted(self._orders.values(), key=lambda o: o.sequence):
            events.append(self._cancel_order(order, CancelReason.SETTLEMENT))

        for agent_id in sorted(self.accounts):
            account = self.accounts[agent_id]
            position = account.position
            if outcome is Outcome.ANNULLED:
                payout = account.deposit - account.cash
                account.cash = account.deposit
            elif outcome is Outcome.YES:
                payout = PAYOUT * max(position, 0)
                account.cash += payout
            else:
                payout = PAYOUT * max(-position, 0)
                account.cash += payout
            account.position = 0
            account.basis = 0
            events.append(Settled(agent_id, outcome, position, payout, account.cash,
                                  account.cash - account.deposit))
        self.outcome = outcome
        return events

    # Checks

    def check_invariants(self) -> None:
        """Raise InvariantError if the book or the ledger is inconsistent."""
        book = self.book
        if book.is_crossed():
            raise InvariantError(f"book crossed: bid {book.best_bid} >= ask {book.best_ask}")
        long_yes = sum(a.position for a in self.accounts.values() if a.position > 0)
        long_no = sum(-a.position for a in self.accounts.values() if a.position < 0)
        if long_yes != long_no:
            raise InvariantError(f"YES shares {long_yes} != NO shares {long_no}")
        if self.total_value() != self.total_deposits:
            raise InvariantError(f"total value {self.total_value()} != deposits "
                                 f"{self.total_deposits}")
        resting = 0
        for account in self.accounts.values():
            if account.cash < 0:
                raise InvariantError(f"agent {account.agent_id} has negative cash {account.cash}")
            if account.locked != account.required_lock():
                raise InvariantError(f"agent {account.agent_id} lock {account.locked} is stale")
            if account.cash < account.locked:
                raise InvariantError(f"agent {account.agent_id} cash {account.cash} below its "
                                     f"lock {account.locked}")
            for order in account.orders.values():
                if not order.active or order.quantity <= 0:
                    raise InvariantError(f"agent {account.agent_id} tracks dead order {order}")
                resting += order.quantity
        if resting != book.total_quantity():
            raise InvariantError(f"accounts track {resting} resting shares, book holds "
                                 f"{book.total_quantity()}")

    # Matching

    def _match_and_rest(self, order: Order, kind: OrderKind, events: list[Event]) -> None:
        """Match an accepted order against the book, then rest or cancel the remainder."""
        book = self.book
        taker = self.accounts[order.agent_id]
        taker.track(order)
        self._orders[order.order_id] = order
        buying = order.side is Side.BUY
        opposite = Side.SELL if buying else Side.BUY

        while order.quantity:
            if buying:
                level_price = book.best_ask_price
                if level_price > order.price:
                    break
            else:
                level_price = book.best_bid_price
                if level_price < order.price:
                    break
            maker_order = book.front(opposite, level_price)
            if maker_order is None:  # pragma: no cover - level counters say it is not empty
                raise InvariantError(f"level {level_price} empty but marked as best")
            maker = self.accounts[maker_order.agent_id]

            # Self-trade prevention: the resting order is the one cancelled.
            if maker is taker:
                events.append(self._cancel_order(maker_order, CancelReason.SELF_TRADE,
                                                 refresh_lock=False))
                continue

            # A maker whose cash no longer covers its orders loses this order only.
            if maker.cash < maker.locked:
                events.append(self._cancel_order(maker_order, CancelReason.MAKER_UNCOVERED))
                continue

            quantity = min(order.quantity, maker_order.quantity)
            events.append(self._fill(maker, maker_order, taker, order, level_price, quantity))

        if order.quantity and kind is not OrderKind.LIMIT:
            events.append(self._cancel_order(order, CancelReason.IOC_REMAINDER, in_book=False,
                                             refresh_lock=False))
        elif order.quantity:
            book.add(order)

        # Makers' locks are already current because `_fill` and `_cancel_order` refresh them.
        taker.locked = taker.required_lock()

    def _fill(self, maker: Account, maker_order: Order, taker: Account, taker_order: Order,
              price: int, quantity: int) -> Trade:
        maker.shrink(maker_order, quantity)
        self.book.reduce(maker_order, quantity)
        if not maker_order.active:
            del self._orders[maker_order.order_id]
        taker.shrink(taker_order, quantity)
        taker_order.quantity -= quantity
        if taker_order.quantity == 0:
            taker_order.active = False
            del self._orders[taker_order.order_id]

        maker_opened, maker_closed = maker.apply_fill(maker_order.side, price, quantity)
        taker_opened, taker_closed = taker.apply_fill(taker_order.side, price, quantity)
        maker.locked = maker.required_lock()
        self.last_trade_price = price

        # Both sides fill their closing shares first, so share by share the first
        # min(closed) shares close on both sides (a merged pair) and the last min(opened)
        # shares open on both sides (a minted pair). The shares in between change owner.
        return Trade(maker_order.order_id, taker_order.order_id, maker.agent_id, taker.agent_id,
                     taker_order.side, price, quantity,
                     minted=min(maker_opened, taker_opened),
                     merged=min(maker_closed, taker_closed))

    def _cancel_order(self, order: Order, reason: CancelReason, in_book: bool = True,
                      refresh_lock: bool = True) -> Cancelled:
        """Cancel an open order; `in_book` is False for an incoming order still matching."""
        account = self.accounts[order.agent_id]
        remaining = order.quantity
        account.untrack(order)
        if in_book:
            self.book.remove(order)
        order.active = False
        del self._orders[order.order_id]
        if refresh_lock:
            account.locked = account.required_lock()
        return Cancelled(order.order_id, order.agent_id, remaining, reason)

    def _crosses(self, side: Side, price: int) -> bool:
        """Return True if an order could fill now, so its shares fill before resting ones.

        An order that does not cross cannot fill during this call, so it fills later in
        price order with its owner's other orders on that side. An order that crosses has
        no better-priced order of its owner on that side, or the book would be crossed.
        """
        if side is Side.BUY:
            return price >= self.book.best_ask_price
        return price <= self.book.best_bid_price

    def _take_sequence(self) -> int:
        sequence = self._next_sequence
        self._next_sequence += 1
        return sequence

    # Validation

    def _validate_order(self, agent_id: str, side: object, price: object, quantity: object,
                        kind: object) -> Rejected | None:
        if self.outcome is not None:
            return Rejected(str(agent_id), RejectReason.MARKET_CLOSED,
                            f"the market settled as {self.outcome.value}: no more orders")
        if agent_id not in self.accounts:
            return self._unknown_agent(agent_id)
        if type(side) is not Side:
            try:
                Side(side)
            except ValueError:
                return Rejected(agent_id, RejectReason.INVALID_SIDE,
                                f"side {side!r} is invalid: use 'buy' or 'sell'")
        if type(kind) is not OrderKind:
            try:
                kind = OrderKind(kind)
            except ValueError:
                return Rejected(agent_id, RejectReason.INVALID_KIND,
                                f"order kind {kind!r} is invalid: use 'limit', 'ioc' or "
                                "'market'")
        if not (price is None and kind is OrderKind.MARKET):
            problem = self._validate_price(agent_id, price)
            if problem is not None:
                return problem
        return self._validate_quantity(agent_id, quantity)

    @staticmethod
    def _validate_price(agent_id: str, price: object) -> Rejected | None:
        value = _as_int(price)
        if value is None or not MIN_PRICE <= value <= MAX_PRICE:
            if isinstance(price, float) and math.isnan(price):
                shown = "NaN"
            else:
                shown = repr(price)
            return Rejected(agent_id, RejectReason.INVALID_PRICE,
                            f"price {shown} is invalid: use a whole number of cents from "
                            f"{MIN_PRICE} to {MAX_PRICE}")
        return None

    @staticmethod
    def _validate_quantity(agent_id: str, quantity: object) -> Rejected | None:
        value = _as_int(quantity)
        if value is None or value <= 0:
            return Rejected(agent_id, RejectReason.INVALID_QUANTITY,
                            f"quantity {quantity!r} is invalid: use a whole number of shares > 0")
        return None

    @staticmethod
    def _unknown_agent(agent_id: object) -> Rejected:
        return Rejected(str(agent_id), RejectReason.UNKNOWN_AGENT,
                        f"agent {agent_id!r} has no account: open one before trading")

    @staticmethod
    def _reject_uncovered(account: Account, side: Side, price: int, quantity: int,
                          needed: int) -> Rejected:
        return Rejected(account.agent_id, RejectReason.INSUFFICIENT_COLLATERAL,
                        f"{side.value} {quantity} at {price} needs {needed} cents locked in "
                        f"total but the account holds {account.cash}: reduce the size or "
                        "cancel other orders")
