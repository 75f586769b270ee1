"""Property tests: invariants of the exchange over random streams of orders from several agents.

Each call's events are replayed into `EventReplay`, a model of resting orders, cash
and positions built only from events. After every call the model must agree with the
exchange, and the model's own totals must satisfy the invariants, so a bug that also
fools `Exchange.check_invariants` still shows up here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from market import (
    PAYOUT,
    Accepted,
    Cancelled,
    CancelReason,
    Contract,
    Exchange,
    OrderKind,
    Outcome,
    Rejected,
    RejectReason,
    Replaced,
    Settled,
    Side,
    Trade,
    to_yes_order,
)

AGENT_IDS = ("ann", "bob", "cat", "dan", "eve", "fay")
UNKNOWN_ORDER_BASE = 10**9
"""Order ids from here up are never issued, so they test cancels of unknown ids."""


# Replaying events into an independent model


@dataclass
class ModelOrder:
    agent_id: str
    side: Side
    price: int
    quantity: int
    kind: OrderKind


class EventReplay:
    """Resting orders, cash and positions rebuilt from the exchange's events alone."""

    def __init__(self, deposits: dict[str, int]) -> None:
        self.deposits = dict(deposits)
        self.cash = dict(deposits)
        self.position = dict.fromkeys(deposits, 0)
        self.resting: dict[int, ModelOrder] = {}
        self.levels: dict[tuple[Side, int], list[int]] = {}
        self.issued: list[int] = []
        self.trades = 0

    def open_interest(self) -> int:
        return sum(position for position in self.position.values() if position > 0)

    def apply(self, events: list) -> None:
        """Replay the events of one call, checking each against the model as it goes."""
        if any(isinstance(event, Rejected) for event in events):
            assert len(events) == 1, events
            return
        incoming: dict[int, ModelOrder] = {}
        for event in events:
            if isinstance(event, Accepted):
                self._accept(event, incoming)
            elif isinstance(event, Replaced):
                self._replace(event, incoming)
            elif isinstance(event, Trade):
                self._trade(event, incoming)
            elif isinstance(event, Cancelled):
                self._cancel(event, incoming)
            else:
                raise AssertionError(f"unexpected event {event}")

        # Whatever is left of an incoming order rests, and only a limit order may rest.
        for order_id, order in incoming.items():
            assert order.kind is OrderKind.LIMIT, (order_id, order)
            self._rest(order_id, order)

    def _accept(self, event: Accepted, incoming: dict[int, ModelOrder]) -> None:
        assert event.order_id not in self.resting
        assert event.order_id not in self.issued
        assert event.quantity > 0
        self.issued.append(event.order_id)
        incoming[event.order_id] = ModelOrder(event.agent_id, event.side, event.price,
                                              event.quantity, event.kind)

    def _replace(self, event: Replaced, incoming: dict[int, ModelOrder]) -> None:
        old = self.resting[event.order_id]
        assert old.agent_id == event.agent_id
        if event.kept_priority:
            assert event.price == old.price
            assert 0 < event.quantity <= old.quantity
            self._shift_level(old.side, old.price, event.quantity - old.quantity, 0)
            old.quantity = event.quantity
            return
        self._unrest(event.order_id)
        incoming[event.order_id] = ModelOrder(event.agent_id, old.side, event.price,
                                              event.quantity, OrderKind.LIMIT)

    def _trade(self, trade: Trade, incoming: dict[int, ModelOrder]) -> None:
        maker = self.resting[trade.maker_order_id]
        taker = incoming[trade.taker_order_id]
        assert maker.agent_id == trade.maker_id
        assert taker.agent_id == trade.taker_id
        assert maker.agent_id != taker.agent_id
        assert taker.side is trade.taker_side
        assert maker.side is taker.side.opposite

        # Every trade prints at the maker's resting price, within the taker's limit.
        assert trade.price == maker.price
        if taker.side is Side.BUY:
            assert trade.price <= taker.price
        else:
            assert trade.price >= taker.price

        # The filled quantity leaves the maker's resting order and the taker's order.
        assert 0 < trade.quantity <= maker.quantity
        assert trade.quantity <= taker.quantity
        maker.quantity -= trade.quantity
        taker.quantity -= trade.quantity
        self._shift_level(maker.side, maker.price, -trade.quantity, 0)
        if maker.quantity == 0:
            self._unrest(trade.maker_order_id)
        if taker.quantity == 0:
            del incoming[trade.taker_order_id]

        interest_before = self.open_interest()
        self._fill(maker.agent_id, maker.side, trade.price, trade.quantity)
        self._fill(taker.agent_id, taker.side, trade.price, trade.quantity)
        assert trade.minted >= 0
        assert trade.merged >= 0
        assert self.open_interest() - interest_before == trade.minted - trade.merged
        self.trades += 1

    def _cancel(self, event: Cancelled, incoming: dict[int, ModelOrder]) -> None:
        assert event.quantity > 0
        if event.order_id in incoming:
            order = incoming.pop(event.order_id)
            assert event.reason is CancelReason.IOC_REMAINDER
            assert order.kind is not OrderKind.LIMIT
        else:
            order = self.resting[event.order_id]
            assert event.reason is not CancelReason.IOC_REMAINDER
            self._unrest(event.order_id)
        assert event.agent_id == order.agent_id
        assert event.quantity == order.quantity

    def _fill(self, agent_id: str, side: Side, price: int, quantity: int) -> None:
        """Apply one side of a fill: closing shares return cash, opening shares cost it."""
        position = self.position[agent_id]
        if side is Side.BUY:
            closing = min(quantity, max(-position, 0))
            self.cash[agent_id] += (PAYOUT - price) * closing - price * (quantity - closing)
            self.position[agent_id] = position + quantity
        else:
            closing = min(quantity, max(position, 0))
            self.cash[agent_id] += price * closing - (PAYOUT - price) * (quantity - closing)
            self.position[agent_id] = position - quantity

    def _rest(self, order_id: int, order: ModelOrder) -> None:
        self.resting[order_id] = order
        self._shift_level(order.side, order.price, order.quantity, 1)

    def _unrest(self, order_id: int) -> None:
        order = self.resting.pop(order_id)
        self._shift_level(order.side, order.price, -order.quantity, -1)

    def _shift_level(self, side: Side, price: int, quantity: int, orders: int) -> None:
        level = self.levels.setdefault((side, price), [0, 0])
        level[0] += quantity
        level[1] += orders
        if level == [0, 0]:
            del self.levels[(side, price)]


def worst_cash_after_fills(cash: int, position: int, orders: list[ModelOrder]) -> int:
    """Return the lowest cash an agent can reach if any of its resting orders fill.

    Each side fills in price priority, so what can fill is the first i buy shares and the
    first j sell shares. Cash then depends only on (i, j). It is cash - buy cost + sell
    proceeds - 100 per NO share newly held. Along i, cash first rises while buys close NO
    shares (+100 - p each) and then falls while they open YES shares (-p each). Along j it
    has the same shape, so the minimum over all (i, j) is at one of the four corners.
    """
    buys = [(o.price, o.quantity) for o in orders if o.side is Side.BUY]
    sells = [(o.price, o.quantity) for o in orders if o.side is Side.SELL]
    bought = sum(quantity for _, quantity in buys)
    sold = sum(quantity for _, quantity in sells)
    buy_cost = sum(price * quantity for price, quantity in buys)
    sell_proceeds = sum(price * quantity for price, quantity in sells)

    def cash_after(buy_shares: int, buy_paid: int, sell_shares: int, sell_paid: int) -> int:
        new_position = position + buy_shares - sell_shares
        no_change = max(-new_position, 0) - max(-position, 0)
        return cash - buy_paid + sell_paid - PAYOUT * no_change

    return min(cash_after(0, 0, 0, 0),
               cash_after(bought, buy_cost, 0, 0),
               cash_after(0, 0, sold, sell_proceeds),
               cash_after(bought, buy_cost, sold, sell_proceeds))


def expected_lock(position: int, orders: list[ModelOrder], first: ModelOrder | None = None) -> int:
    """Return the collateral the ledger's rule requires, computed from the model's orders.

    A buy share costs p unless it closes a NO share, and a sell share costs 100 - p
    unless it closes a YES share. Each side fills best price first, which is also its
    costliest share first, and the held position covers the first shares to fill.
    `first` is an incoming order that fills before all of them on its side.
    """
    lock = 0
    for side, cover in ((Side.BUY, max(-position, 0)), (Side.SELL, max(position, 0))):
        shares = sorted(((o.price if side is Side.BUY else PAYOUT - o.price, o.quantity)
                         for o in orders if o.side is side), reverse=True)
        if first is not None and first.side is side:
            shares.insert(0, (first.price if side is Side.BUY else PAYOUT - first.price,
                              first.quantity))
        for cost, quantity in shares:
            covered = min(cover, quantity)
            cover -= covered
            lock += cost * (quantity - covered)
    return lock


def needed_for_request(replay: EventReplay, request: ModelOrder,
                       replaced_id: int | None) -> int:
    """Return the lock an agent needs to enter `request`, from the model before the call.

    An order that crosses the book may fill at once, so its shares come first. One that
    does not cross rests and takes its place by price among the agent's orders.
    """
    orders = [order for order_id, order in replay.resting.items()
              if order.agent_id == request.agent_id and order_id != replaced_id]
    position = replay.position[request.agent_id]
    if request.side is Side.BUY:
        asks = [price for (side, price) in replay.levels if side is Side.SELL]
        crosses = bool(asks) and request.price >= min(asks)
    else:
        bids = [price for (side, price) in replay.levels if side is Side.BUY]
        crosses = bool(bids) and request.price <= max(bids)
    if crosses:
        return expected_lock(position, orders, first=request)
    return expected_lock(position, orders + [request])


def check_collateral_decision(replay: EventReplay, request: ModelOrder, replaced_id: int | None,
                              events: list) -> None:
    """Assert that the exchange accepted the request if and only if cash covers it."""
    decision = events[0]
    if isinstance(decision, Replaced) and decision.kept_priority:
        return
    needed = needed_for_request(replay, request, replaced_id)
    cash = replay.cash[request.agent_id]
    if isinstance(decision, Rejected) and decision.reason is RejectReason.INSUFFICIENT_COLLATERAL:
        assert needed > cash, (request, needed, cash)
    elif isinstance(decision, Accepted | Replaced):
        assert needed <= cash, (request, needed, cash)


def check_against_model(exchange: Exchange, replay: EventReplay) -> None:
    """Assert the invariants on the model and that the exchange agrees with it."""
    snapshot = exchange.snapshot()

    # The book is never crossed.
    if snapshot.best_bid is not None and snapshot.best_ask is not None:
        assert snapshot.best_bid < snapshot.best_ask

    # What rests on the book is exactly what the events left resting.
    book_levels = {(Side.BUY, level.price): [level.quantity, level.orders]
                   for level in snapshot.bids}
    book_levels.update({(Side.SELL, level.price): [level.quantity, level.orders]
                        for level in snapshot.asks})
    assert book_levels == replay.levels
    assert all(order.quantity > 0 for order in replay.resting.values())

    # Cash and positions from events match the ledger, and nothing goes negative.
    orders_by_agent: dict[str, list[ModelOrder]] = {agent: [] for agent in replay.cash}
    for order in replay.resting.values():
        orders_by_agent[order.agent_id].append(order)
    for agent_id, account in exchange.accounts.items():
        assert account.cash == replay.cash[agent_id], agent_id
        assert account.position == replay.position[agent_id], agent_id
        assert account.cash >= 0, agent_id
        assert account.locked >= 0, agent_id
        assert account.basis >= 0, agent_id
        orders = orders_by_agent[agent_id]
        worst = worst_cash_after_fills(account.cash, account.position, orders)
        assert worst >= 0, (agent_id, worst, orders)

        # The lock follows the documented rule and covers the worst case of any fills.
        lock = expected_lock(account.position, orders)
        assert account.locked == lock, (agent_id, account.locked, lock, orders)
        assert account.cash - worst <= lock, (agent_id, worst, lock, orders)

    # Conservation: cash plus 100 per outstanding pair equals the deposits.
    total = sum(replay.cash.values()) + PAYOUT * replay.open_interest()
    assert total == sum(replay.deposits.values())
    long_yes = sum(p for p in replay.position.values() if p > 0)
    long_no = sum(-p for p in replay.position.values() if p < 0)
    assert long_yes == long_no

    exchange.check_invariants()


def check_settlement(exchange: Exchange, replay: EventReplay, outcome: Outcome) -> None:
    """Settle and assert the payouts from the model's positions."""
    events = exchange.settle(outcome)

    cancelled = {e.order_id: e.quantity for e in events if isinstance(e, Cancelled)}
    assert cancelled == {order_id: o.quantity for order_id, o in replay.resting.items()}
    assert all(e.reason is CancelReason.SETTLEMENT for e in events if isinstance(e, Cancelled))

    settled = {e.agent_id: e for e in events if isinstance(e, Settled)}
    assert set(settled) == set(replay.cash)
    for agent_id, event in settled.items():
        position = replay.position[agent_id]
        assert event.position == position
        if outcome is Outcome.YES:
            assert event.payout == PAYOUT * max(position, 0)
        elif outcome is Outcome.NO:
            assert event.payout == PAYOUT * max(-position, 0)
        else:
            assert event.cash == replay.deposits[agent_id]
        assert event.cash == replay.cash[agent_id] + event.payout
        assert exchange.accounts[agent_id].cash == event.cash

    assert sum(e.cash for e in settled.values()) == sum(replay.deposits.values())
    assert exchange.book.total_quantity() == 0


# Operations


@dataclass(frozen=True)
class Operation:
    """One request to the exchange. `target` picks the order a cancel or replace names."""

    action: str
    agent: int
    contract: Contract
    side: Side
    price: int | None
    quantity: int
    target: int


def pick_order_id(exchange: Exchange, replay: EventReplay, agent_id: str, target: int) -> int:
    """Pick an order id: mostly one of the agent's open orders, sometimes any issued id
    (filled, cancelled or another agent's), sometimes one never issued."""
    mode = target % 5
    if mode == 4:
        return UNKNOWN_ORDER_BASE + target
    if mode == 3 and replay.issued:
        return replay.issued[target % len(replay.issued)]
    own = sorted(exchange.accounts[agent_id].orders)
    if own:
        return own[target % len(own)]
    return UNKNOWN_ORDER_BASE + target


def execute(exchange: Exchange, replay: EventReplay, operation: Operation) -> list:
    """Run one operation, checking its collateral decision against the model."""
    agent_id = AGENT_IDS[operation.agent]
    if operation.action == "cancel":
        order_id = pick_order_id(exchange, replay, agent_id, operation.target)
        return exchange.cancel(agent_id, order_id)

    if operation.action == "replace":
        order_id = pick_order_id(exchange, replay, agent_id, operation.target)
        events = exchange.replace(agent_id, order_id, operation.price, operation.quantity)
        old = replay.resting.get(order_id)
        if old is not None and old.agent_id == agent_id and operation.price is not None:
            request = ModelOrder(agent_id, old.side, operation.price, operation.quantity,
                                 OrderKind.LIMIT)
            check_collateral_decision(replay, request, order_id, events)
        return events

    kind = OrderKind(operation.action)
    events = exchange.submit_contract(agent_id, operation.contract, operation.side,
                                      operation.price, operation.quantity, kind)
    side, price = operation.side, operation.price
    if price is None and kind is OrderKind.MARKET:
        side = side if operation.contract is Contract.YES else side.opposite
        price = 99 if side is Side.BUY else 1
    elif price is not None:
        side, price = to_yes_order(operation.contract, side, price)
    if price is not None:
        request = ModelOrder(agent_id, side, price, operation.quantity, kind)
        check_collateral_decision(replay, request, None, events)
    return events


def run_stream(deposits: list[int], operations: list[Operation]) -> tuple[Exchange, EventReplay]:
    """Open one account per deposit, run the operations and check after every call."""
    exchange = Exchange()
    for agent_id, cash in zip(AGENT_IDS, deposits, strict=False):
        exchange.open_account(agent_id, cash)
    replay = EventReplay(dict(zip(AGENT_IDS, deposits, strict=False)))
    for operation in operations:
        if operation.agent >= len(deposits):
            continue
        events = execute(exchange, replay, operation)
        replay.apply(events)
        check_against_model(exchange, replay)
    return exchange, replay


ACTIONS = ["limit"] * 6 + ["ioc", "market"] + ["cancel"] * 3 + ["replace"] * 2

near_mid = st.integers(40, 60)
any_price = st.integers(1, 99)
operations = st.builds(
    Operation,
    action=st.sampled_from(ACTIONS),
    agent=st.integers(0, len(AGENT_IDS) - 1),
    contract=st.sampled_from(Contract),
    side=st.sampled_from(Side),
    price=st.one_of(near_mid, near_mid, any_price, st.none()),
    quantity=st.one_of(st.integers(1, 10), st.integers(1, 200)),
    target=st.integers(0, 1_000),
)


def random_operations(seed: int, count: int, agents: int, weights: list[int]) -> list[Operation]:
    """Return `count` operations around a randomly drifting mid, from a seeded generator."""
    rng = random.Random(seed)
    actions = ["limit", "ioc", "market", "cancel", "replace"]
    mid = 50
    stream = []
    for _ in range(count):
        mid = min(90, max(10, mid + rng.choice((-1, 0, 0, 1))))
        action = rng.choices(actions, weights)[0]
        price: int | None = min(99, max(1, mid + rng.randint(-6, 6)))
        if action == "market" and rng.random() < 0.5:
            price = None
        stream.append(Operation(
            action=action,
            agent=rng.randrange(agents),
            contract=rng.choice((Contract.YES, Contract.YES, Contract.NO)),
            side=rng.choice((Side.BUY, Side.SELL)),
            price=price,
            quantity=rng.choice((rng.randint(1, 10), rng.randint(1, 60))),
            target=rng.randrange(1_000),
        ))
    return stream


# Properties

rich_deposits = st.lists(st.integers(50_000, 500_000), min_size=2, max_size=len(AGENT_IDS))
poor_deposits = st.lists(st.integers(0, 3_000), min_size=2, max_size=len(AGENT_IDS) - 1)
mix_weights = st.lists(st.integers(1, 10), min_size=5, max_size=5)


@settings(max_examples=300, deadline=None)
@given(deposits=rich_deposits, stream=st.lists(operations, min_size=40, max_size=200))
def test_short_streams_keep_invariants(deposits, stream):
    run_stream(deposits, stream)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), deposits=rich_deposits, weights=mix_weights)
def test_long_streams_keep_invariants(seed, deposits, weights):
    _, replay = run_stream(deposits, random_operations(seed, 3_000, len(deposits), weights))

    # The stream must trade, or the checks above tested an idle book.
    assert replay.trades > 0


@settings(max_examples=300, deadline=None)
@given(deposits=poor_deposits, whale=st.integers(10**6, 10**7),
       stream=st.lists(operations, min_size=40, max_size=200))
def test_small_cash_never_goes_negative(deposits, whale, stream):
    # Agents with a few dollars rest orders on both sides, flip positions and replace,
    # while a whale sweeps the book. The whale is the last agent.
    run_stream(deposits + [whale], [replace_agent(op, len(deposits)) for op in stream])


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), deposits=poor_deposits, weights=mix_weights)
def test_small_cash_long_streams(seed, deposits, weights):
    whale = len(deposits)
    stream = random_operations(seed, 3_000, whale + 1, weights)
    run_stream(deposits + [10**7], stream)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), deposits=rich_deposits,
       outcome=st.sampled_from([Outcome.YES, Outcome.NO]))
def test_settlement_pays_winning_shares(seed, deposits, outcome):
    exchange, replay = run_stream(deposits, random_operations(seed, 600, len(deposits),
                                                              [6, 1, 1, 3, 2]))

    check_settlement(exchange, replay, outcome)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), deposits=rich_deposits)
def test_annulment_restores_every_deposit(seed, deposits):
    exchange, replay = run_stream(deposits, random_operations(seed, 600, len(deposits),
                                                              [6, 1, 1, 3, 2]))

    check_settlement(exchange, replay, Outcome.ANNULLED)

    for agent_id, cash in zip(AGENT_IDS, deposits, strict=False):
        assert exchange.accounts[agent_id].cash == cash


def replace_agent(operation: Operation, agents: int) -> Operation:
    """Map the operation's agent into range, sending big orders to the whale (the last)."""
    agent = operation.agent % (agents + 1)
    if operation.quantity > 50:
        agent = agents
    return Operation(operation.action, agent, operation.contract, operation.side,
                     operation.price, operation.quantity, operation.target)
