"""LLMClient, which runs every LLM call through budget, cache, limits, retries and ledger."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from agents.llm.base import Completion, CompletionRequest, Provider
from agents.llm.cache import CallCache
from agents.llm.cost import Budget, CostLedger, PriceTable
from agents.llm.resilience import (
    ConcurrencyLimits,
    RetryPolicy,
    call_with_retries,
    fault_record,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CallResult:
    """The outcome of one `LLMClient.call`.

    `latency` is the wall time of the whole call in seconds: cache lookup, waiting for
    a concurrency slot, every attempt and every backoff. `cost` is USD, 0 for a cache
    hit. `faults` contains one record per retried attempt (see `fault_record`).
    """

    completion: Completion
    cache_hit: bool
    latency: float
    cost: float
    faults: list[dict[str, object]] = field(default_factory=list)


class LLMClient:
    """A provider wrapped with the budget, the cache, the limits and the ledger.

    One call does, in order: the budget check, the cache lookup, the provider call with
    retries under the provider's concurrency slot, the cache write, the ledger entry
    and one row for `call_sink`. The row has the columns of the store's `llm_calls`
    table; `session_id` is the one given here, possibly None for the caller to fill in.

    Share one ConcurrencyLimits, CostLedger and CallCache among the clients of a
    session, so that limits, totals and the budget cover all of them. The defaults
    are private to this client. `rng` draws the backoff jitter, and `sleep` waits
    between attempts (tests pass a fake).
    """

    def __init__(self, provider: Provider, *, cache: CallCache | None = None,
                 limits: ConcurrencyLimits | None = None, policy: RetryPolicy | None = None,
                 ledger: CostLedger | None = None, prices: PriceTable | None = None,
                 budget: Budget | None = None,
                 call_sink: Callable[[dict[str, object]], None] | None = None,
                 session_id: str | None = None, rng: random.Random | None = None,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> None:
        self.provider = provider
        self.cache = cache
        self.limits = limits if limits is not None else ConcurrencyLimits()
        self.policy = policy if policy is not None else RetryPolicy()
        self.ledger = ledger if ledger is not None else CostLedger()
        self.prices = prices if prices is not None else PriceTable()
        self.budget = budget
        self.call_sink = call_sink
        self.session_id = session_id
        self.rng = rng
        self.sleep = sleep

    async def call(self, request: CompletionRequest, *, agent_id: str,
                   purpose: str) -> CallResult:
        """Return the completion for `request`, from the cache or the provider.

        `purpose` describes the call in errors and records, e.g. "decision at t=120.000".
        Raises BudgetExceeded before any work when the budget is spent, CacheMissError
        on a miss in replay mode, and ProviderFailure when the provider fails for good
        (its `faults` list every attempt).
        """
        if self.budget is not None:
            self.budget.check(self.ledger)
        name, model = self.provider.name, self.provider.model
        started = time.perf_counter()
        faults: list[dict[str, object]] = []

        def note_retry(attempt: int, error: Exception, delay: float) -> None:
            faults.append(fault_record("retry", attempt, error, delay, self.policy.timeout))

        async def complete() -> Completion:
            async with self.limits.semaphore(name):
                return await call_with_retries(
                    lambda: self.provider.complete(request), self.policy, on_retry=note_retry,
                    rng=self.rng, sleep=self.sleep,
                    context=f"{name}/{model} call for agent {agent_id} ({purpose})")

        if self.cache is None:
            completion, cache_hit = await complete(), False
        else:
            # NOTE: the key has the provider's name and model but not its base URL, so two
            # "compatible" servers that serve the same model id share cache entries.
            completion, cache_hit = await self.cache.get_or_call(
                name, model, request, complete, agent_id=agent_id, purpose=purpose)
        latency = time.perf_counter() - started

        if cache_hit:
            cost = 0.0
        else:
            cost = self.prices.cost(name, model, completion.input_tokens,
                                    completion.output_tokens)
        self.ledger.record(agent_id=agent_id, provider=name, model=model,
                           input_tokens=completion.input_tokens,
                           output_tokens=completion.output_tokens, cost=cost, latency=latency,
                           cache_hit=cache_hit)
        logger.debug("%s/%s call for agent %s (%s): %d+%d tokens, $%.6f, %.3f s, cache %s",
                     name, model, agent_id, purpose, completion.input_tokens,
                     completion.output_tokens, cost, latency, "hit" if cache_hit else "miss")

        if self.call_sink is not None:
            self.call_sink({
                "session_id": self.session_id, "agent_id": agent_id, "provider": name,
                "model": model, "purpose": purpose, "input_tokens": completion.input_tokens,
                "output_tokens": completion.output_tokens, "cost": cost, "latency": latency,
                "cache_hit": int(cache_hit), "raw_text": completion.text,
            })
        return CallResult(completion, cache_hit, latency, cost, faults)
