"""The unit of work that executors ship to workers: one session, run in memory.

A worker runs the session with no store (`run_into_store(..., store=None)`) and returns
a `SessionOutcome` holding the event rows, the agents' summaries and the LLM call
records. The payloads arrive encoded as JSON, because encoding them was half of the
driver's write time. The driver alone writes the store. So a session's record is the
same whichever executor ran it, and only one process ever writes the SQLite file.

Everything here pickles, because tasks and outcomes cross process boundaries (a process
pool's pipes, Dask's network transport).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field

from agents.llm.cache import CacheMode, CallCache
from agents.llm.cost import Budget, CostLedger, PriceTable
from agents.llm.resilience import ConcurrencyLimits
from agents.llm.services import LLMServices
from agents.protocol import Question
from sim.config import SessionConfig
from sim.recorder import EventRow
from sim.runner import agent_config_payload, run_into_store
from sim.store import COMPLETE, FAILED
from sim.tournament.spec import LLMOptions

logger = logging.getLogger(__name__)

EncodedRow = tuple[int, float, str, str | None, str]
"""An event row as stored: seq, simulated time, type, agent id, payload as JSON text."""

MAX_TRACEBACK_CHARS = 4000
"""Maximum length of the traceback kept in a failed session's error text."""


@dataclass(frozen=True)
class LLMSettings:
    """Settings a worker builds its LLM call machinery from, as plain values that pickle."""

    cache_mode: str
    cache_path: str
    prices_path: str | None
    timeout: float
    limits: tuple[tuple[str, int], ...] = ()

    @classmethod
    def from_options(cls, options: LLMOptions) -> LLMSettings:
        """Return settings with absolute paths, so a worker with another cwd finds the files."""
        prices = str(options.prices_path.resolve()) if options.prices_path else None
        return cls(options.cache_mode.value, str(options.cache_path.resolve()), prices,
                   options.timeout, tuple(sorted(options.limits.items())))


@dataclass(frozen=True)
class SessionTask:
    """One session to run. `budget_usd` is what it may spend on LLM calls (None: no cap)."""

    session_id: str
    question: Question
    config: SessionConfig
    llm: LLMSettings | None = None
    budget_usd: float | None = None


@dataclass
class SessionOutcome:
    """The result a worker sends back: the full record of a complete session, or the error.

    `events` has (seq, t, type, agent_id, payload JSON) per event row, the payload
    encoded by `EventRow.to_json`. `agents` has the rows of the store's agents table and
    `calls` those of its llm_calls table. Times are wall-clock Unix seconds; `worker` is
    "host:pid".
    """

    session_id: str
    status: str
    error: str | None = None
    events: list[EncodedRow] = field(default_factory=list, repr=False)
    agents: list[dict[str, object]] = field(default_factory=list, repr=False)
    outcome: str | None = None
    final_price: float | None = None
    calls: list[dict[str, object]] = field(default_factory=list, repr=False)
    started_at: float = 0.0
    ended_at: float = 0.0
    worker: str = ""

    @property
    def cost(self) -> float:
        """USD spent on LLM calls (cache hits cost 0)."""
        return float(sum(call.get("cost") or 0.0 for call in self.calls))

    @property
    def tokens(self) -> int:
        """Input plus output tokens of every LLM call, cache hits included."""
        return int(sum((call.get("input_tokens") or 0) + (call.get("output_tokens") or 0)
                       for call in self.calls))


def run_session_task(task: SessionTask) -> SessionOutcome:
    """Run one task on a new event loop (the entry point of process and Dask workers)."""
    return asyncio.run(run_session(task))


async def run_session(task: SessionTask) -> SessionOutcome:
    """Run one task on the running loop. A session that raises becomes a failed outcome."""
    started = time.time()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    calls: list[dict[str, object]] = []
    services = None
    try:
        services = _services(task, calls)
        result = await run_into_store(task.question, task.config, None, services=services)
    except Exception as error:  # noqa: BLE001 - a failing session must not stop the tournament
        logger.warning("session %s failed on %s: %r", task.session_id, worker, error,
                       exc_info=True)
        return SessionOutcome(task.session_id, FAILED, error=format_error(error), calls=calls,
                              started_at=started, ended_at=time.time(), worker=worker)

    if result.session_id != task.session_id:
        raise RuntimeError(f"session id {result.session_id} differs from the planned "
                           f"{task.session_id}: the driver and this worker run different "
                           "beliefbook versions")
    configs = {agent.agent_id: agent_config_payload(agent) for agent in task.config.agents}
    outcome = SessionOutcome(
        task.session_id, COMPLETE, events=[encode_row(row) for row in result.rows],
        agents=[{**asdict(summary), "config": configs.get(summary.agent_id, {})}
                for summary in result.agents],
        outcome=result.outcome.value, final_price=result.final_price, calls=calls,
        started_at=started, ended_at=time.time(), worker=worker)

    # An LLM trader that hits the budget holds for the rest of the session, so the record
    # is cut short: keep it out of the results, and let a rerun redo it.
    budget = services.budget if services is not None else None
    if budget is not None and budget.max_usd is not None and outcome.cost >= budget.max_usd:
        outcome.status = FAILED
        outcome.error = (f"LLM budget reached: the session spent ${outcome.cost:.4f} of the "
                         f"${budget.max_usd:.4f} left, so its LLM traders stopped trading. "
                         "Rerun with a larger llm.budget_usd to redo it.")
    return outcome


def encode_row(row: EventRow) -> EncodedRow:
    """Return the row as the events table stores it, its payload encoded as `to_json` does."""
    return (row.seq, row.t, row.type, row.agent_id, row.to_json())


def _services(task: SessionTask, calls: list[dict[str, object]]) -> LLMServices | None:
    """Return per-session services over the worker's shared cache, prices and limits."""
    if task.llm is None:
        return None
    runtime = _runtime(task.llm)

    def collect(call: dict[str, object]) -> None:
        calls.append({"created_at": time.time(), **call})

    budget = Budget(task.budget_usd) if task.budget_usd is not None else None
    return LLMServices(cache=runtime.cache, limits=runtime.limits, ledger=CostLedger(),
                       prices=runtime.prices, budget=budget, call_sink=collect,
                       timeout=task.llm.timeout)


@dataclass
class _Runtime:
    cache: CallCache | None
    prices: PriceTable
    limits: ConcurrencyLimits


_runtimes = threading.local()


def _runtime(settings: LLMSettings) -> _Runtime:
    """Return this thread's cache, prices and limits for `settings`, built on first use.

    Per thread, because Dask runs tasks on several threads of a worker, each with its own
    event loop, and a cache connection and semaphores are best kept to one loop.
    """
    by_settings: dict[LLMSettings, _Runtime] = getattr(_runtimes, "by_settings", None) or {}
    _runtimes.by_settings = by_settings
    runtime = by_settings.get(settings)
    if runtime is None:
        mode = CacheMode(settings.cache_mode)
        cache = None if mode is CacheMode.OFF else CallCache(settings.cache_path, mode)
        prices = (PriceTable.from_file(settings.prices_path) if settings.prices_path
                  else PriceTable())
        runtime = _Runtime(cache, prices, ConcurrencyLimits(dict(settings.limits)))
        by_settings[settings] = runtime
    return runtime


def format_error(error: BaseException) -> str:
    """Return "Type: message", a blank line and the traceback (its end when long)."""
    text = "".join(traceback.format_exception(error)).rstrip()
    summary = f"{type(error).__name__}: {error}"
    if len(text) > MAX_TRACEBACK_CHARS:
        text = "...\n" + text[-MAX_TRACEBACK_CHARS:]
    return f"{summary}\n\n{text}"
