"""LLMClient: the order of budget, cache, limits, retries, ledger and call records."""

from __future__ import annotations

import asyncio

import pytest

from agents.llm.base import ChatMessage, Completion, CompletionRequest, ProviderError
from agents.llm.cache import CacheMissError, CacheMode, CallCache
from agents.llm.client import LLMClient
from agents.llm.cost import Budget, BudgetExceeded, CostLedger, ModelPrice, PriceTable
from agents.llm.resilience import ConcurrencyLimits, ProviderFailure, RetryPolicy
from sim.store import Store

PRICES = PriceTable({"fake-1": ModelPrice(input=1.0, output=2.0)}, include_defaults=False)
LLM_CALL_COLUMNS = {"session_id", "agent_id", "provider", "model", "purpose", "input_tokens",
                    "output_tokens", "cost", "latency", "cache_hit", "raw_text"}


def make_request(text: str = "Will it rain?", sample_index: int = 0) -> CompletionRequest:
    return CompletionRequest(messages=(ChatMessage("user", text),), sample_index=sample_index)


class FakeProvider:
    """Raises the scripted errors in order, then returns completions. Counts calls in flight."""

    name = "fake"
    model = "fake-1"
    supports_logprobs = False

    def __init__(self, script=(), delay: float = 0.0) -> None:
        self.script = list(script)
        self.delay = delay
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        self.calls += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            if self.script:
                raise self.script.pop(0)
            return Completion(text=f"reply {self.calls}: {request.messages[-1].content}",
                              input_tokens=1000, output_tokens=500)
        finally:
            self.in_flight -= 1


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_client(provider: FakeProvider, **options) -> LLMClient:
    options.setdefault("prices", PRICES)
    options.setdefault("policy", RetryPolicy(jitter=0.0))
    options.setdefault("sleep", FakeSleep())
    return LLMClient(provider, **options)


def call(client: LLMClient, request: CompletionRequest | None = None, agent_id: str = "a1"):
    request = request if request is not None else make_request()
    return asyncio.run(client.call(request, agent_id=agent_id, purpose="decision at t=60.000"))


# Results and costs

def test_call_returns_completion():
    result = call(make_client(FakeProvider()))
    assert result.completion.text == "reply 1: Will it rain?"
    assert result.cache_hit is False
    assert result.faults == []
    assert result.latency >= 0.0


def test_call_cost_from_prices():
    # 1000 input tokens at $1/M and 500 output tokens at $2/M.
    result = call(make_client(FakeProvider()))
    assert result.cost == pytest.approx(0.002)


def test_ledger_records_each_call():
    ledger = CostLedger()
    client = make_client(FakeProvider(), ledger=ledger)
    call(client, agent_id="a1")
    call(client, agent_id="a2")
    assert ledger.totals().calls == 2
    assert ledger.total_cost == pytest.approx(0.004)
    assert ledger.totals_by_agent()["a2"].input_tokens == 1000


# Cache

def test_auto_cache_hit_is_free(tmp_path):
    provider = FakeProvider()
    ledger = CostLedger()
    with CallCache(tmp_path / "cache.db", CacheMode.AUTO) as cache:
        client = make_client(provider, cache=cache, ledger=ledger)
        first = call(client)
        second = call(client)
    assert provider.calls == 1
    assert second.cache_hit is True
    assert second.cost == 0.0
    assert second.completion == first.completion
    assert ledger.total_cost == pytest.approx(first.cost)


def test_replay_reproduces_recording(tmp_path):
    requests = [make_request(sample_index=index) for index in range(3)]
    with CallCache(tmp_path / "cache.db", CacheMode.RECORD) as cache:
        recorder = make_client(FakeProvider(), cache=cache)
        recorded = [call(recorder, request).completion for request in requests]

    provider = FakeProvider()
    ledger = CostLedger()
    with CallCache(tmp_path / "cache.db", CacheMode.REPLAY) as cache:
        replayer = make_client(provider, cache=cache, ledger=ledger)
        replayed = [call(replayer, request).completion for request in requests]
    assert replayed == recorded
    assert provider.calls == 0
    assert ledger.total_cost == 0.0


def test_replay_miss_propagates(tmp_path):
    provider = FakeProvider()
    with CallCache(tmp_path / "cache.db", CacheMode.REPLAY) as cache:
        client = make_client(provider, cache=cache)
        with pytest.raises(CacheMissError, match="'a1' \\(decision at t=60.000\\)"):
            call(client)
    assert provider.calls == 0


def test_cache_off_always_calls(tmp_path):
    provider = FakeProvider()
    with CallCache(tmp_path / "cache.db", CacheMode.OFF) as cache:
        client = make_client(provider, cache=cache)
        call(client)
        result = call(client)
    assert provider.calls == 2
    assert result.cache_hit is False


# Retries and faults

def test_retry_recorded_in_faults():
    provider = FakeProvider([ProviderError("rate limited", retryable=True, status=429,
                                           retry_after=5.0)])
    sleep = FakeSleep()
    result = call(make_client(provider, sleep=sleep))
    assert provider.calls == 2
    assert sleep.delays == [5.0]
    assert result.faults == [{"kind": "retry", "attempt": 1, "error": "ProviderError",
                              "status": 429, "message": "rate limited", "delay": 5.0}]


def test_failure_propagates_with_faults():
    provider = FakeProvider([ProviderError("overloaded", retryable=True, status=529)] * 2)
    client = make_client(provider, policy=RetryPolicy(max_attempts=2, jitter=0.0))
    with pytest.raises(ProviderFailure) as caught:
        call(client)
    assert provider.calls == 2
    assert [fault["kind"] for fault in caught.value.faults] == ["retry", "provider_failure"]
    assert "fake/fake-1 call for agent a1 (decision at t=60.000)" in str(caught.value)


def test_failure_records_no_cost():
    ledger = CostLedger()
    rows = []
    provider = FakeProvider([ProviderError("invalid", retryable=False, status=400)])
    client = make_client(provider, ledger=ledger, call_sink=rows.append)
    with pytest.raises(ProviderFailure):
        call(client)
    assert ledger.totals().calls == 0
    assert rows == []


def test_failure_not_cached(tmp_path):
    provider = FakeProvider([ProviderError("invalid", retryable=False, status=400)])
    with CallCache(tmp_path / "cache.db", CacheMode.AUTO) as cache:
        client = make_client(provider, cache=cache)
        with pytest.raises(ProviderFailure):
            call(client)
        result = call(client)
    assert result.cache_hit is False
    assert provider.calls == 2


# Budget

def test_budget_stops_calls():
    provider = FakeProvider()
    client = make_client(provider, budget=Budget(0.003))
    call(client)
    call(client)
    with pytest.raises(BudgetExceeded):
        call(client)
    assert provider.calls == 2


def test_budget_checked_before_cache(tmp_path):
    ledger = CostLedger()
    with CallCache(tmp_path / "cache.db", CacheMode.AUTO) as cache:
        client = make_client(FakeProvider(), cache=cache, ledger=ledger, budget=Budget(0.001))
        call(client)
        with pytest.raises(BudgetExceeded):
            call(client)
    assert ledger.totals().calls == 1


# Concurrency

def test_concurrency_limit_holds():
    provider = FakeProvider(delay=0.01)
    client = make_client(provider, limits=ConcurrencyLimits({"fake": 3}))

    async def main():
        return await asyncio.gather(*(
            client.call(make_request(sample_index=index), agent_id=f"a{index}", purpose="p")
            for index in range(12)))

    results = asyncio.run(main())
    assert len(results) == 12
    assert provider.max_in_flight == 3


def test_limits_shared_by_clients():
    limits = ConcurrencyLimits({"fake": 1})
    provider = FakeProvider(delay=0.01)
    clients = [make_client(provider, limits=limits) for _ in range(3)]

    async def main():
        return await asyncio.gather(*(
            client.call(make_request(), agent_id="a1", purpose="p") for client in clients))

    asyncio.run(main())
    assert provider.max_in_flight == 1


# Call records

def test_sink_receives_row():
    rows = []
    client = make_client(FakeProvider(), call_sink=rows.append, session_id="s1")
    call(client)
    row = rows[0]
    assert len(rows) == 1
    assert set(row) == LLM_CALL_COLUMNS
    assert row["session_id"] == "s1"
    assert row["agent_id"] == "a1"
    assert row["provider"] == "fake"
    assert row["model"] == "fake-1"
    assert row["purpose"] == "decision at t=60.000"
    assert row["input_tokens"] == 1000
    assert row["output_tokens"] == 500
    assert row["cost"] == pytest.approx(0.002)
    assert row["cache_hit"] == 0
    assert row["raw_text"] == "reply 1: Will it rain?"


def test_sink_marks_cache_hit(tmp_path):
    rows = []
    with CallCache(tmp_path / "cache.db", CacheMode.AUTO) as cache:
        client = make_client(FakeProvider(), cache=cache, call_sink=rows.append)
        call(client)
        call(client)
    assert [row["cache_hit"] for row in rows] == [0, 1]
    assert [row["cost"] for row in rows][1] == 0.0


def test_sink_writes_store(tmp_path):
    with Store(tmp_path / "store.db") as store:
        client = make_client(FakeProvider(), call_sink=store.record_llm_call,
                             session_id="s1")
        call(client)
        call(client, agent_id="a2")
        table = store.table("llm_calls")
    assert list(table["agent_id"]) == ["a1", "a2"]
    assert list(table["session_id"]) == ["s1", "s1"]
    assert list(table["cache_hit"]) == [0, 0]
    assert table.loc[0, "raw_text"] == "reply 1: Will it rain?"
