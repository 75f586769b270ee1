"""A small seeded order stream through one exchange, printed for a first look at the book."""

from __future__ import annotations

import numpy as np

from market.events import Cancelled, Rejected, Trade
from market.exchange import Exchange
from market.types import Contract, OrderKind, Side

DEMO_AGENTS = ("alice", "bob", "carol", "dave")


def run_demo(orders: int = 40, seed: int = 7) -> str:
    """Replay `orders` random orders from four agents and return a printable report."""
    rng = np.random.default_rng(seed)
    exchange = Exchange()
    for agent_id in DEMO_AGENTS:
        exchange.open_account(agent_id, 20_000)

    lines = [f"Replaying {orders} orders from {len(DEMO_AGENTS)} agents (seed {seed})", ""]
    for _ in range(orders):
        agent_id = str(rng.choice(DEMO_AGENTS))
        contract = Contract.YES if rng.random() < 0.7 else Contract.NO
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        price = int(np.clip(rng.normal(50, 8), 1, 99))
        quantity = int(rng.integers(1, 20))
        kind = OrderKind.IOC if rng.random() < 0.15 else OrderKind.LIMIT
        lines.append(f"{agent_id:>6} {side.value:<4} {quantity:>3} {contract.value.upper():<3} "
                     f"@ {price:>2} ({kind.value})")
        for event in exchange.submit_contract(agent_id, contract, side, price, quantity, kind):
            if isinstance(event, Trade):
                lines.append(f"         trade {event.quantity:>3} @ {event.price:>2}: "
                             f"{event.taker_id} took from {event.maker_id}"
                             f"{' (minted ' + str(event.minted) + ')' if event.minted else ''}")
            elif isinstance(event, Cancelled):
                lines.append(f"         cancelled {event.quantity} ({event.reason.value})")
            elif isinstance(event, Rejected):
                lines.append(f"         rejected: {event.message}")
    exchange.check_invariants()

    snapshot = exchange.snapshot(5)
    lines += ["", "Book (YES, cents):", f"  {'bid qty':>8} {'price':>6} {'ask qty':>8}"]
    for level in reversed(snapshot.asks):
        lines.append(f"  {'':>8} {level.price:>6} {level.quantity:>8}")
    for level in snapshot.bids:
        lines.append(f"  {level.quantity:>8} {level.price:>6} {'':>8}")
    lines += ["", f"  {'agent':<6} {'cash $':>9} {'locked $':>9} {'position':>9}"]
    for agent_id in DEMO_AGENTS:
        account = exchange.accounts[agent_id]
        lines.append(f"  {agent_id:<6} {account.cash / 100:>9.2f} {account.locked / 100:>9.2f} "
                     f"{account.position:>9}")
    return "\n".join(lines)
