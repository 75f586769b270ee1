"""Helpers shared by the exchange tests: account setup, event filters and state fingerprints."""

from __future__ import annotations

from market import Exchange, Side
from market.types import MAX_PRICE, MIN_PRICE

RICH = 1_000_000
"""Deposit in cents large enough that no test order is limited by collateral."""


def new_exchange(*agents: str, cash: int = RICH) -> Exchange:
    """Return an exchange with one account per agent id, each holding `cash` cents."""
    exchange = Exchange()
    for agent_id in agents:
        exchange.open_account(agent_id, cash)
    return exchange


def of_type(events: list, event_type: type) -> list:
    """Return the events of one class, in order."""
    return [event for event in events if isinstance(event, event_type)]


def queue_ids(exchange: Exchange, side: Side, price: int) -> list[int]:
    """Return the ids of the active orders at one level, in priority order."""
    return [order.order_id for order in exchange.book.queue(side, price)]


def fingerprint(exchange: Exchange) -> tuple:
    """Return every observable part of the exchange state as a comparable tuple.

    It covers the book (each level's queue, quantity and best prices), every account
    (cash, position, basis, realized PnL, lock and its open orders) and the exchange's
    counters, so two equal fingerprints mean a call changed nothing.
    """
    book = exchange.book
    levels = []
    for side in (Side.BUY, Side.SELL):
        for price in range(MIN_PRICE, MAX_PRICE + 1):
            queue = tuple((o.order_id, o.agent_id, o.quantity, o.original_quantity, o.sequence)
                          for o in book.queue(side, price))
            levels.append((side, price, book.quantity_at(side, price), queue))
    accounts = []
    for agent_id in sorted(exchange.accounts):
        account = exchange.accounts[agent_id]
        orders = tuple(sorted((o.order_id, o.side, o.price, o.quantity, o.active)
                              for o in account.orders.values()))
        accounts.append((agent_id, account.deposit, account.cash, account.position,
                         account.basis, account.realized, account.locked,
                         account.buy_notional, account.sell_notional, account.buy_quantity,
                         account.sell_quantity, orders))
    counters = (exchange._next_order_id, exchange._next_sequence, exchange.outcome,
                exchange.last_trade_price, exchange.total_deposits,
                tuple(sorted(exchange._orders)))
    return (tuple(levels), book.best_bid_price, book.best_ask_price, tuple(accounts), counters)
