"""What LLM traders share within a run: cache, concurrency limits, retry policy, costs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from agents.llm.base import Provider
from agents.llm.cache import CallCache
from agents.llm.client import LLMClient
from agents.llm.cost import Budget, CostLedger, PriceTable
from agents.llm.resilience import ConcurrencyLimits, RetryPolicy

logger = logging.getLogger(__name__)

CallSink = Callable[[dict[str, object]], None]
ProviderFactory = Callable[[str, str | None, str | None, float], Provider]


@dataclass
class LLMServices:
    """Shared machinery for every LLM call of a run.

    One LLMServices serves a whole run, so the budget and the concurrency limits cover
    all its sessions; `for_session` gives each session a view that stamps its session
    id on the call records. `timeout` is the wall-clock limit in seconds of one attempt.
    """

    cache: CallCache | None = None
    limits: ConcurrencyLimits = field(default_factory=ConcurrencyLimits)
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    ledger: CostLedger = field(default_factory=CostLedger)
    prices: PriceTable = field(default_factory=PriceTable)
    budget: Budget | None = None
    call_sink: CallSink | None = None
    session_id: str | None = None
    timeout: float = 60.0
    provider_factory: ProviderFactory | None = None
    """Builds providers by (name, model, base_url, timeout); None uses the real ones."""
    _clients: dict[tuple[str, str | None, str | None], LLMClient] = field(default_factory=dict,
                                                                          repr=False)

    def for_session(self, session_id: str, call_sink: CallSink | None = None) -> LLMServices:
        """Return a view for one session: same cache, limits, ledger and budget."""
        return replace(self, session_id=session_id,
                       call_sink=call_sink if call_sink is not None else self.call_sink,
                       _clients={})

    def client(self, provider: str, model: str | None, base_url: str | None) -> LLMClient:
        """Return the client for a provider and model, creating it on first use."""
        key = (provider, model, base_url)
        client = self._clients.get(key)
        if client is None:
            factory = self.provider_factory
            if factory is None:
                from agents.llm.providers import create_provider as factory
            client = LLMClient(factory(provider, model, base_url, self.timeout),
                               cache=self.cache, limits=self.limits, policy=self.policy,
                               ledger=self.ledger, prices=self.prices, budget=self.budget,
                               call_sink=self.call_sink, session_id=self.session_id)
            self._clients[key] = client
        return client

    @property
    def budget_reached(self) -> bool:
        return (self.budget is not None and self.budget.max_usd is not None
                and self.ledger.total_cost >= self.budget.max_usd)


def default_services() -> LLMServices:
    """Services with no cache, no budget and no call records (for agents built alone)."""
    return LLMServices()
