"""Hand-built event records for the oracle tests, in the kernel's row format."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.recorder import EventRow


@dataclass
class RecordBuilder:
    """Appends kernel-style event rows with increasing seq; `t` advances by one per row."""

    rows: list[EventRow] = field(default_factory=list)
    next_order_id: int = 1

    def add(self, event_type: str, agent_id: str | None, payload: dict[str, object],
            t: float | None = None) -> EventRow:
        seq = len(self.rows)
        row = EventRow(seq, float(seq) if t is None else t, event_type, agent_id, payload)
        self.rows.append(row)
        return row

    def start(self, agents: dict[str, str], cash: int = 100_000,
              question_id: str = "q-test", seed: int = 0) -> RecordBuilder:
        """Record session_start and account_opened rows for agents given as {id: kind}."""
        self.add("session_start", None, {
            "question_id": question_id, "seed": seed, "horizon": 1000.0,
            "agents": [{"id": agent_id, "kind": kind, "params": {}, "cash": cash}
                       for agent_id, kind in agents.items()],
        })
        for agent_id in agents:
            self.add("account_opened", agent_id, {"agent_id": agent_id, "cash": cash})
        return self

    def static(self, agent_id: str, probability: float | None) -> RecordBuilder:
        self.add("static_belief", agent_id, {"probability": probability, "method": "verbal",
                                             "details": {}})
        return self

    def decide(self, agent_id: str, probability: float | None,
               orders: list[dict[str, object]] | None = None) -> RecordBuilder:
        self.add("decision", agent_id, {
            "requested_at": 0.0, "probability": probability, "reasoning": "",
            "orders": orders or [], "cancels": [], "cancel_all": False,
            "hold_reason": None, "details": {},
        })
        return self

    def trade(self, taker: str, maker: str, taker_side: str, price: int, quantity: int = 1,
              mid_before: float | None = 50.0, mid_after: float | None = 50.0,
              taker_order_id: int | None = None) -> RecordBuilder:
        """Record one trade; each call is a new taker order unless `taker_order_id` is given."""
        if taker_order_id is None:
            taker_order_id = self.next_order_id
            self.next_order_id += 1
        maker_order_id = self.next_order_id
        self.next_order_id += 1
        self.add("trade", taker, {
            "maker_order_id": maker_order_id, "taker_order_id": taker_order_id,
            "maker_id": maker, "taker_id": taker, "taker_side": taker_side, "price": price,
            "quantity": quantity, "minted": 0, "merged": 0, "mid_before": mid_before,
            "mid_after": mid_after,
        })
        return self

    def snapshot(self, mid: float | None, last_price: int | None = None) -> RecordBuilder:
        self.add("book_snapshot", None, {"bids": [], "asks": [], "mid": mid,
                                         "last_price": last_price})
        return self

    def resolve(self, outcome: str, final_price: float | None,
                positions: dict[str, int] | None = None) -> RecordBuilder:
        """Record the resolution and, for `positions` given, each agent's settled row."""
        self.add("resolution", None, {"outcome": outcome, "final_price": final_price})
        for agent_id, position in (positions or {}).items():
            payout = 100 * position if outcome == "yes" and position > 0 else 0
            self.add("settled", agent_id, {"agent_id": agent_id, "outcome": outcome,
                                           "position": position, "payout": payout,
                                           "cash": 0, "pnl": 0})
        self.add("session_end", None, {"outcome": outcome, "final_price": final_price})
        return self


def mixed_agent_record(rate: float, fills: int, seed: int, agent: str = "mixed",
                       outcome: str = "yes") -> list[EventRow]:
    """Return a session where `agent` makes `fills` taker fills, each contradictory with `rate`.

    The agent states a belief drawn from U(0.2, 0.8) before each fill, then buys YES at a
    price 5 cents below it (EV +0.05) or, with probability `rate`, 5 cents above it
    (EV -0.05, contradictory). The maker states no belief, so only `agent` is judged.
    """
    rng = np.random.default_rng(seed)
    builder = RecordBuilder().start({agent: "synthetic", "book": "silent"})
    builder.static(agent, 0.5)
    for _ in range(fills):
        belief = round(float(rng.uniform(0.2, 0.8)), 2)
        against = bool(rng.random() < rate)
        price = round(100 * belief) + (5 if against else -5)
        builder.decide(agent, belief)
        builder.trade(agent, "book", "buy", price)
    builder.resolve(outcome, 50.0)
    return builder.rows
