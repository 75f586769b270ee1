"""Retries with backoff, Retry-After, timeouts, and per-provider concurrency limits."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agents.llm.base import ChatMessage, Completion, CompletionRequest, ProviderError
from agents.llm.resilience import (
    ConcurrencyLimits,
    ProviderFailure,
    RetryPolicy,
    backoff_delay,
    call_with_retries,
)

REQUEST = CompletionRequest(messages=(ChatMessage("user", "Will it rain?"),))
NO_JITTER = RetryPolicy(jitter=0.0)


def rate_limited(retry_after: float | None = None) -> ProviderError:
    return ProviderError("rate limited", retryable=True, status=429, retry_after=retry_after)


def overloaded() -> ProviderError:
    return ProviderError("overloaded", retryable=True, status=529)


def server_error() -> ProviderError:
    return ProviderError("internal server error", retryable=True, status=500)


def bad_request() -> ProviderError:
    return ProviderError("invalid schema", retryable=False, status=400)


HANG = "hang"


class FakeProvider:
    """A provider that runs a script: each call takes the next step (an error or HANG).

    With the script used up, a call returns a completion. Counts calls and the max in flight.
    """

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
            step = self.script.pop(0) if self.script else None
            if step == HANG:
                await asyncio.sleep(60)
            if isinstance(step, Exception):
                raise step
            return Completion(text=f"reply {self.calls}")
        finally:
            self.in_flight -= 1


class FakeSleep:
    """Records requested waits instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def run(provider: FakeProvider, policy: RetryPolicy = NO_JITTER, sleep=None, **options):
    sleep = sleep if sleep is not None else FakeSleep()
    return asyncio.run(call_with_retries(lambda: provider.complete(REQUEST), policy,
                                         sleep=sleep, **options))


# Backoff

def test_backoff_doubles():
    provider = FakeProvider([server_error(), overloaded(), server_error()])
    sleep = FakeSleep()
    completion = run(provider, sleep=sleep)
    assert completion.text == "reply 4"
    assert sleep.delays == [1.0, 2.0, 4.0]


def test_backoff_capped_at_max_delay():
    policy = RetryPolicy(max_attempts=6, base_delay=1.0, max_delay=5.0, jitter=0.0)
    sleep = FakeSleep()
    run(FakeProvider([server_error()] * 5), policy, sleep)
    assert sleep.delays == [1.0, 2.0, 4.0, 5.0, 5.0]


@given(attempt=st.integers(1, 12), jitter=st.floats(0.0, 1.0), seed=st.integers(0, 2**32))
def test_backoff_jitter_within_bounds(attempt, jitter, seed):
    policy = RetryPolicy(max_attempts=20, jitter=jitter)
    full = min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1))
    delay = backoff_delay(policy, attempt, random.Random(seed))
    assert delay <= full
    assert delay >= full * (1.0 - jitter)


def test_retry_after_longer_than_backoff():
    sleep = FakeSleep()
    run(FakeProvider([rate_limited(retry_after=7.0)]), sleep=sleep)
    assert sleep.delays == [7.0]


def test_retry_after_shorter_than_backoff():
    sleep = FakeSleep()
    run(FakeProvider([server_error(), server_error(), rate_limited(retry_after=0.5)]),
        sleep=sleep)
    assert sleep.delays == [1.0, 2.0, 4.0]


def test_retry_after_capped():
    policy = RetryPolicy(jitter=0.0, max_retry_after=20.0)
    sleep = FakeSleep()
    run(FakeProvider([rate_limited(retry_after=3600.0)]), policy, sleep)
    assert sleep.delays == [20.0]


# Giving up

def test_non_retryable_raises_at_once():
    provider = FakeProvider([bad_request()])
    sleep = FakeSleep()
    with pytest.raises(ProviderFailure) as caught:
        run(provider, sleep=sleep)
    assert provider.calls == 1
    assert sleep.delays == []
    assert caught.value.attempts == 1
    assert caught.value.status == 400
    assert caught.value.__cause__ is caught.value.last_error


def test_non_retryable_message_names_fix():
    with pytest.raises(ProviderFailure, match="not retried: check the model id"):
        run(FakeProvider([bad_request()]))


def test_failure_after_max_attempts():
    provider = FakeProvider([overloaded()] * 10)
    sleep = FakeSleep()
    with pytest.raises(ProviderFailure) as caught:
        run(provider, sleep=sleep)
    failure = caught.value
    assert provider.calls == 4
    assert len(sleep.delays) == 3
    assert failure.attempts == 4
    assert failure.status == 529
    assert failure.retryable is False
    assert "after 4 attempt(s)" in str(failure)


def test_failure_lists_every_attempt():
    with pytest.raises(ProviderFailure) as caught:
        run(FakeProvider([rate_limited(2.0), server_error(), overloaded(), overloaded()]))
    faults = caught.value.faults
    assert [fault["kind"] for fault in faults] == ["retry"] * 3 + ["provider_failure"]
    assert [fault["status"] for fault in faults] == [429, 500, 529, 529]
    assert [fault["delay"] for fault in faults] == [2.0, 2.0, 4.0, None]
    assert faults[0]["attempt"] == 1
    assert faults[0]["error"] == "ProviderError"
    assert faults[0]["message"] == "rate limited"


def test_single_attempt_policy():
    provider = FakeProvider([server_error()])
    with pytest.raises(ProviderFailure):
        run(provider, RetryPolicy(max_attempts=1))
    assert provider.calls == 1


def test_other_exceptions_propagate():
    provider = FakeProvider([KeyError("bug")])
    with pytest.raises(KeyError):
        run(provider)
    assert provider.calls == 1


# Timeouts

def test_timeout_is_retried():
    provider = FakeProvider([HANG])
    sleep = FakeSleep()
    completion = run(provider, RetryPolicy(timeout=0.05, jitter=0.0), sleep)
    assert completion.text == "reply 2"
    assert sleep.delays == [1.0]


def test_timeouts_exhaust_attempts():
    provider = FakeProvider([HANG] * 3)
    with pytest.raises(ProviderFailure) as caught:
        run(provider, RetryPolicy(max_attempts=3, timeout=0.05))
    assert provider.calls == 3
    assert isinstance(caught.value.last_error, TimeoutError)
    assert caught.value.status is None
    assert "timed out after 0.05 s" in caught.value.faults[-1]["message"]


def test_no_timeout_when_none():
    provider = FakeProvider(delay=0.05)
    completion = run(provider, RetryPolicy(timeout=None))
    assert completion.text == "reply 1"


# Callbacks and logs

def test_on_retry_receives_attempts():
    seen = []
    run(FakeProvider([rate_limited(3.0), server_error()]),
        on_retry=lambda attempt, error, delay: seen.append((attempt, error.status, delay)))
    assert seen == [(1, 429, 3.0), (2, 500, 2.0)]


def test_retry_logged_as_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="agents.llm.resilience"):
        run(FakeProvider([rate_limited(3.0)]), context="fake/fake-1 call for agent a1")
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "fake/fake-1 call for agent a1" in message
    assert "attempt 1 of 4" in message
    assert "status 429" in message
    assert "rate limited" in message
    assert "retrying in 3.00 s" in message


def test_real_sleep_by_default():
    # The default sleep really waits; a tiny base delay keeps the test fast.
    policy = RetryPolicy(base_delay=0.01, jitter=0.0)
    provider = FakeProvider([server_error()])
    completion = asyncio.run(call_with_retries(lambda: provider.complete(REQUEST), policy))
    assert completion.text == "reply 2"


# Policy validation

@pytest.mark.parametrize("fields", [
    {"max_attempts": 0},
    {"base_delay": -1.0},
    {"timeout": 0.0},
    {"jitter": 1.5},
], ids=lambda fields: next(iter(fields)))
def test_policy_rejects_invalid(fields):
    with pytest.raises(ValueError, match="invalid|negative"):
        RetryPolicy(**fields)


# Concurrency limits

def test_limit_holds():
    limits = ConcurrencyLimits({"fake": 2})
    provider = FakeProvider(delay=0.01)

    async def limited_call():
        async with limits.semaphore("fake"):
            return await provider.complete(REQUEST)

    async def main():
        return await asyncio.gather(*(limited_call() for _ in range(10)))

    asyncio.run(main())
    assert provider.calls == 10
    assert provider.max_in_flight == 2


def test_limit_defaults():
    limits = ConcurrencyLimits()
    assert limits.limit("local") == 1
    assert limits.limit("anthropic") == 8


def test_limit_override():
    limits = ConcurrencyLimits({"local": 2, "openai": 3}, default=4)
    assert limits.limit("local") == 2
    assert limits.limit("openai") == 3
    assert limits.limit("anthropic") == 4


def test_limit_rejects_zero():
    with pytest.raises(ValueError, match="'openai'"):
        ConcurrencyLimits({"openai": 0})


def test_limits_survive_new_loop():
    limits = ConcurrencyLimits({"fake": 1})
    provider = FakeProvider(delay=0.01)

    async def main():
        async def limited_call():
            async with limits.semaphore("fake"):
                return await provider.complete(REQUEST)

        return await asyncio.gather(*(limited_call() for _ in range(3)))

    asyncio.run(main())
    asyncio.run(main())
    assert provider.calls == 6
    assert provider.max_in_flight == 1
