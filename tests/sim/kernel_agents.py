"""Small deterministic agents used by the kernel tests."""

from __future__ import annotations

import asyncio

import numpy as np

from agents.protocol import (
    Belief,
    Decision,
    ElicitationMethod,
    Observation,
    OrderRequest,
    Question,
)
from market.types import Contract, OrderKind, Side


class RandomTrader:
    """Places one random limit or IOC order per wake-up; optionally sleeps in wall time."""

    def __init__(self, agent_id: str, rng: np.random.Generator, max_sleep: float = 0.0) -> None:
        self.agent_id = agent_id
        self.rng = rng
        self.max_sleep = max_sleep
        self.sleep_rng = np.random.default_rng()  # wall-time noise only, never in the record
        self.observations: list[Observation] = []

    async def elicit(self, question: Question, method: ElicitationMethod) -> Belief:
        await self._nap()
        return Belief(float(self.rng.uniform(0.1, 0.9)), method)

    async def decide(self, observation: Observation) -> Decision:
        self.observations.append(observation)
        await self._nap()
        side = Side.BUY if self.rng.random() < 0.5 else Side.SELL
        contract = Contract.YES if self.rng.random() < 0.8 else Contract.NO
        price = int(self.rng.integers(30, 71))
        kind = OrderKind.IOC if self.rng.random() < 0.2 else OrderKind.LIMIT
        cancels = tuple(order.order_id for order in observation.open_orders[:1])
        return Decision(orders=(OrderRequest(side, price, int(self.rng.integers(1, 10)),
                                             contract, kind),),
                        cancels=cancels, probability=float(self.rng.uniform(0.2, 0.8)),
                        reasoning=f"random {side.value}")

    async def _nap(self) -> None:
        if self.max_sleep > 0:
            await asyncio.sleep(float(self.sleep_rng.uniform(0, self.max_sleep)))
