"""Timeouts, retries with exponential backoff, and per-provider concurrency limits.

Retried: `ProviderError` with `retryable=True` (rate limits, overload, server errors)
and `TimeoutError`, which covers an attempt that outlives `RetryPolicy.timeout`.
Any other ProviderError raises at once, and other exceptions propagate unchanged.
A non-retryable error and a last failed attempt both reach the caller as
`ProviderFailure`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from agents.llm.base import ProviderError

logger = logging.getLogger(__name__)

T = TypeVar("T")

_default_rng = random.Random()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry settings for provider calls. Times are in seconds.

    The wait after failed attempt n is min(max_delay, base_delay * 2**(n-1)), reduced
    by a random fraction of up to `jitter` so that callers that failed together do not
    retry together. A Retry-After from the server replaces the backoff when it is
    longer, up to `max_retry_after`. `timeout` limits each attempt (None: no limit).
    """

    max_attempts: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    timeout: float | None = 60.0
    jitter: float = 0.2
    max_retry_after: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts {self.max_attempts!r} is invalid: use 1 or more")
        if self.base_delay < 0 or self.max_delay < 0 or self.max_retry_after < 0:
            raise ValueError(f"delays base_delay={self.base_delay!r}, max_delay="
                             f"{self.max_delay!r} and max_retry_after={self.max_retry_after!r} "
                             "must not be negative")
        if self.timeout is not None and self.timeout <= 0:
            raise ValueError(f"timeout {self.timeout!r} is invalid: use a positive number of "
                             "seconds, or None for no timeout")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError(f"jitter {self.jitter!r} is invalid: use a fraction from 0 to 1")


class ProviderFailure(ProviderError):
    """A provider call that failed for good: a non-retryable error, or attempts ran out.

    `attempts` is how many attempts ran, `last_error` the error of the last one, and
    `faults` one fault record per failed attempt (see `fault_record`).
    """

    def __init__(self, context: str, attempts: int, last_error: BaseException,
                 faults: list[dict[str, object]], *, exhausted: bool) -> None:
        if exhausted:
            fix = ("The provider kept failing: try again later, or raise the retry policy's "
                   "max_attempts or timeout")
        else:
            fix = ("The provider rejected the request, so it was not retried: check the "
                   "model id, the API key and the request parameters")
        message = (f"{context} failed after {attempts} attempt(s): "
                   f"{describe_error(last_error)}. {fix}")
        super().__init__(message, retryable=False, status=error_status(last_error))
        self.attempts = attempts
        self.last_error = last_error
        self.faults = faults


def error_status(error: BaseException) -> int | None:
    """Return the HTTP status of a ProviderError, else None."""
    return error.status if isinstance(error, ProviderError) else None


def describe_error(error: BaseException, timeout: float | None = None) -> str:
    """Return a one-line description: the type, the status when known, the message."""
    if isinstance(error, TimeoutError):
        limit = f" after {timeout:g} s" if timeout is not None else ""
        return f"TimeoutError: the attempt timed out{limit}"
    status = error_status(error)
    status_text = f" (status {status})" if status is not None else ""
    return f"{type(error).__name__}{status_text}: {error}"


def fault_record(kind: str, attempt: int, error: BaseException, delay: float | None,
                 timeout: float | None = None) -> dict[str, object]:
    """Return a failed attempt as a JSON-ready dict for the session's events.

    `kind` is "retry" (followed by a wait of `delay` seconds) or "provider_failure"
    (the last attempt, `delay` None).
    """
    if isinstance(error, TimeoutError):
        message = describe_error(error, timeout)
    else:
        message = str(error)
    return {"kind": kind, "attempt": attempt, "error": type(error).__name__,
            "status": error_status(error), "message": message, "delay": delay}


def backoff_delay(policy: RetryPolicy, failed_attempt: int, rng: random.Random) -> float:
    """Return the wait in seconds after attempt `failed_attempt` (1-based), with jitter."""
    delay = min(policy.max_delay, policy.base_delay * 2 ** (failed_attempt - 1))
    return delay * (1.0 - policy.jitter * rng.random())


def retry_delay(policy: RetryPolicy, failed_attempt: int, error: BaseException,
                rng: random.Random) -> float:
    """Return the wait before the next attempt: the backoff, or Retry-After when longer."""
    delay = backoff_delay(policy, failed_attempt, rng)
    retry_after = error.retry_after if isinstance(error, ProviderError) else None
    if retry_after is None or retry_after <= delay:
        return delay

    if retry_after > policy.max_retry_after:
        logger.warning("server sent Retry-After %.1f s, above max_retry_after, so waiting "
                       "%.1f s", retry_after, policy.max_retry_after)
    return max(delay, min(retry_after, policy.max_retry_after))


async def call_with_retries(call: Callable[[], Awaitable[T]],
                            policy: RetryPolicy | None = None, *,
                            on_retry: Callable[[int, Exception, float], None] | None = None,
                            rng: random.Random | None = None,
                            sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                            context: str = "provider call") -> T:
    """Await `call()` until it succeeds, retrying retryable failures with backoff.

    `on_retry(attempt, error, delay)` runs before each wait. `sleep` does the waiting
    (tests pass a fake). `context` names the call in logs and errors, for example
    "anthropic/claude-sonnet-4-5 for agent a1 (decision at t=120.000)". Raises
    ProviderFailure when a non-retryable ProviderError occurs or attempts run out.

    NOTE: a timed-out attempt's coroutine is cancelled, but work that a provider runs
    in a thread (asyncio.to_thread) keeps running until it ends, alongside the retry.
    """
    policy = policy if policy is not None else RetryPolicy()
    rng = rng if rng is not None else _default_rng
    faults: list[dict[str, object]] = []

    for attempt in range(1, policy.max_attempts + 1):
        try:
            if policy.timeout is None:
                return await call()
            return await asyncio.wait_for(call(), policy.timeout)
        except (ProviderError, TimeoutError) as error:
            retryable = isinstance(error, TimeoutError) or error.retryable
            if not retryable or attempt == policy.max_attempts:
                faults.append(fault_record("provider_failure", attempt, error, None,
                                           policy.timeout))
                raise ProviderFailure(context, attempt, error, faults,
                                      exhausted=retryable) from error

            delay = retry_delay(policy, attempt, error, rng)
            faults.append(fault_record("retry", attempt, error, delay, policy.timeout))
            logger.warning("%s: attempt %d of %d failed (%s); retrying in %.2f s", context,
                           attempt, policy.max_attempts, describe_error(error, policy.timeout),
                           delay)
            if on_retry is not None:
                on_retry(attempt, error, delay)
            await sleep(delay)

    raise AssertionError("unreachable: the last attempt returns or raises")


class ConcurrencyLimits:
    """Per-provider limits on calls in flight, as one asyncio.Semaphore per key.

    Keys are provider names ("anthropic", "openai", "compatible", "local"). A key
    without its own limit gets `default`. The in-process "local" model gets 1 unless
    set, because it runs one generation at a time. Share one instance among all
    clients of a process. Semaphores are kept per event loop, so the limits hold
    within each loop and an instance survives successive `asyncio.run` calls.
    """

    DEFAULT_LIMITS: Mapping[str, int] = {"local": 1}

    def __init__(self, limits: Mapping[str, int] | None = None, *, default: int = 8) -> None:
        merged = {**self.DEFAULT_LIMITS, **(limits or {})}
        for key, limit in {**merged, "default": default}.items():
            if limit < 1:
                raise ValueError(f"concurrency limit {limit!r} for {key!r} is invalid: use 1 "
                                 "or more")
        self.limits = merged
        self.default = default
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = weakref.WeakKeyDictionary()

    def limit(self, key: str) -> int:
        """Return the maximum number of concurrent calls for `key`."""
        return self.limits.get(key, self.default)

    def semaphore(self, key: str) -> asyncio.Semaphore:
        """Return the running event loop's semaphore for `key` (call from a coroutine)."""
        loop = asyncio.get_running_loop()
        semaphores = self._semaphores.setdefault(loop, {})
        if key not in semaphores:
            semaphores[key] = asyncio.Semaphore(self.limit(key))
        return semaphores[key]
