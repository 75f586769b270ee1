"""The agent protocol: what a trader sees, what it returns, and the question it trades.

An agent implements two coroutines. `elicit(question, method)` returns its belief in
YES from the question alone, before any trading (the static confidence).
`decide(observation)` returns a Decision: orders, cancels, the probability of YES it
states now, and its reasoning. The session kernel calls them; the exchange enforces
every limit whatever an agent returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from market.types import Contract, L2Snapshot, OpenOrder, OrderKind, Side


@dataclass(frozen=True, slots=True)
class NewsItem:
    """A piece of news and the simulated second at which it becomes public."""

    text: str
    release_time: float


@dataclass(frozen=True, slots=True)
class Question:
    """A binary question as agents see it. `outcome` is hidden from observations.

    `news` holds release times as fractions of the session horizon (0..1); the kernel
    turns them into simulated seconds.
    """

    id: str
    question: str
    background: str = ""
    resolution_criteria: str = ""
    open_date: str | None = None
    close_date: str | None = None
    resolve_date: str | None = None
    outcome: int | None = None
    community_probability: float | None = None
    news: tuple[tuple[str, float], ...] = ()
    source: str | None = None
    url: str | None = None

    def public(self) -> Question:
        """Return a copy without the outcome and without unreleased news."""
        return Question(self.id, self.question, self.background, self.resolution_criteria,
                        self.open_date, self.close_date, None, None,
                        self.community_probability, (), self.source, self.url)


@dataclass(frozen=True, slots=True)
class TradePrint:
    """One trade on the tape: simulated time, YES price in cents, size, aggressor side."""

    time: float
    price: int
    quantity: int
    taker_side: Side


@dataclass(frozen=True, slots=True)
class Observation:
    """Everything an agent may know when it wakes.

    Money is in cents, prices in YES ticks (cents), time in simulated seconds.
    `question` never carries the outcome, and `news` holds only released items.
    """

    agent_id: str
    time: float
    horizon: float
    question: Question
    news: tuple[NewsItem, ...]
    book: L2Snapshot
    recent_trades: tuple[TradePrint, ...]
    last_price: int | None
    cash: int
    free_cash: int
    position: int
    open_orders: tuple[OpenOrder, ...]
    last_probability: float | None = None
    """The probability this agent stated in its previous decision, if any."""

    @property
    def time_left(self) -> float:
        return max(self.horizon - self.time, 0.0)

    @property
    def mid(self) -> float | None:
        if self.book.best_bid is None or self.book.best_ask is None:
            return None
        return (self.book.best_bid + self.book.best_ask) / 2


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order an agent wants to place.

    `contract` and `side` say what it trades: buying NO at q reaches the YES book as a
    sell at 100 - q. `price` is in cents (1..99) of the named contract; for a MARKET
    order it is the worst-price bound and may be None.
    """

    side: Side
    price: int | None
    quantity: int
    contract: Contract = Contract.YES
    kind: OrderKind = OrderKind.LIMIT


@dataclass(frozen=True, slots=True)
class Decision:
    """What an agent does at one wake-up.

    `probability` is the agent's stated probability of YES in [0, 1], or None when it
    states none. `cancels` are order ids of its own open orders, applied before the new
    orders. `hold_reason` is set when the agent held because of a fault (invalid model
    output, provider failure) rather than by choice.
    """

    orders: tuple[OrderRequest, ...] = ()
    cancels: tuple[int, ...] = ()
    probability: float | None = None
    reasoning: str = ""
    hold_reason: str | None = None
    cancel_all: bool = False
    """Cancel every open order of the agent before placing `orders`."""
    details: dict[str, object] = field(default_factory=dict)
    """Extra data to record with the decision (model name, tokens, raw output)."""

    def __post_init__(self) -> None:
        if self.probability is not None and not (0.0 <= self.probability <= 1.0
                                                 and math.isfinite(self.probability)):
            raise ValueError(f"probability {self.probability!r} is invalid: use a number in "
                             "[0, 1] or None")


class ElicitationMethod(StrEnum):
    """How a static belief is obtained.

    VERBAL asks for a number; TOKEN_PROBABILITY reads P(Yes) / (P(Yes) + P(No)) from the
    model's next-token log-probabilities; SAMPLING is the share of N answers at
    temperature 1 that say Yes.
    """

    VERBAL = "verbal"
    TOKEN_PROBABILITY = "token_probability"
    SAMPLING = "sampling"


@dataclass(frozen=True, slots=True)
class Belief:
    """A probability of YES in [0, 1], or None if the agent gave none, with how it was got."""

    probability: float | None
    method: ElicitationMethod
    details: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.probability is not None and not (0.0 <= self.probability <= 1.0
                                                 and math.isfinite(self.probability)):
            raise ValueError(f"probability {self.probability!r} is invalid: use a number in "
                             "[0, 1] or None")


@runtime_checkable
class Agent(Protocol):
    """A trader. The kernel gives each agent its own seeded random generator at creation."""

    agent_id: str

    async def decide(self, observation: Observation) -> Decision: ...

    async def elicit(self, question: Question, method: ElicitationMethod) -> Belief: ...


HOLD = Decision()
"""A decision that does nothing and states no probability."""
