"""The session kernel: one question's market over simulated time on a SimPy environment.

Each agent is a SimPy process. It wakes on its schedule, observes the market, and starts
its `decide` coroutine as an asyncio task. An agent whose class sets
`synchronous_decide = True` (the baselines) promises that `decide` never awaits, so its
coroutine runs to the end at once, without a task. The decision reaches the book
`think + latency` simulated seconds after the wake-up, and the agent is busy until then
(it cannot act while still deciding). News items become public at their release times.
At the horizon the question resolves and the book settles.

Determinism. Simulated time never advances past a pending decision: before the driver
steps the SimPy event at time T, it waits for every decision due at or before T.
Decisions start in SimPy's deterministic order and their results are read only at their
due time, and decisions due at the same time are applied in agent-id order. So the
record depends only on the seed, the config and what the agents return, never on how
long a call took in wall time. Between those points the driver keeps stepping (the
lookahead of conservative parallel simulation), so decisions of agents that wake at
different times run concurrently too.
"""

from __future__ import annotations

import asyncio
import logging
import math
import types
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from dataclasses import dataclass, field, replace

import numpy as np
import simpy

from agents.protocol import (
    Agent,
    Belief,
    Decision,
    ElicitationMethod,
    NewsItem,
    Observation,
    Question,
    TradePrint,
)
from agents.registry import build_agent
from market.events import Event, Settled, Trade, event_payload
from market.exchange import Exchange
from market.oracle.live import CONTRADICTION, LiveOracle
from market.types import L2Snapshot, Outcome
from sim.config import AgentConfig, SessionConfig
from sim.recorder import EventRow, EventSink, Recorder

logger = logging.getLogger(__name__)

AgentFactory = Callable[[AgentConfig, np.random.Generator, Question], Agent]


def agent_factory_with(services: object | None) -> AgentFactory:
    """Return a factory that builds agents from the registry, giving LLM agents `services`."""

    def factory(config: AgentConfig, rng: np.random.Generator, question: Question) -> Agent:
        return build_agent(config.kind, config.agent_id, rng, config.params, question.outcome,
                           services)

    return factory


default_agent_factory = agent_factory_with(None)


@dataclass
class AgentSummary:
    """One agent's figures at the end of a session. Money in cents."""

    agent_id: str
    kind: str
    static_probability: float | None
    stated_probability: float | None
    position: int
    pnl: int
    decisions: int
    faults: int


@dataclass
class SessionResult:
    session_id: str
    question: Question
    outcome: Outcome
    final_price: float | None
    """Last trade price in cents, or the last mid when nothing traded."""
    agents: list[AgentSummary]
    rows: list[EventRow] = field(repr=False)


@dataclass(slots=True)
class _PendingDecision:
    """A decision between its request and its due time.

    `task` is the asyncio task still running it, or None when the decision finished at
    request time. Then `decision` is its result, or `error` is the exception that aborts
    the session.
    """

    agent_id: str
    requested_at: float
    due: float
    done: simpy.Event
    task: asyncio.Task[Decision] | None = None
    decision: Decision | None = None
    error: Exception | None = None

    def outcome(self) -> Decision:
        """Return the decision, or raise the error that aborts the session."""
        if self.task is not None:
            return self.task.result()  # the driver waited for it
        if self.error is not None:
            raise self.error
        assert self.decision is not None
        return self.decision


class Session:
    """One session; `run()` drives it to settlement and returns the result."""

    def __init__(self, session_id: str, question: Question, config: SessionConfig,
                 agent_factory: AgentFactory = default_agent_factory,
                 sink: EventSink | None = None,
                 progress: Callable[[float], None] | None = None) -> None:
        self.session_id = session_id
        self.question = question
        self.config = config
        self.env = simpy.Environment()
        self.exchange = Exchange()
        self.recorder = Recorder(session_id, sink)
        self.live_oracle = LiveOracle(config.contradiction_epsilon, session_id=session_id)
        self._progress = progress
        self._configs = {agent.agent_id: agent for agent in config.agents}

        # One seeded generator per session, split per agent in config order.
        seeds = np.random.SeedSequence(config.seed).spawn(len(config.agents) + 1)
        self._kernel_rng = np.random.default_rng(seeds[0])
        self._rngs = {agent.agent_id: np.random.default_rng(seed)
                      for agent, seed in zip(config.agents, seeds[1:], strict=True)}
        self.agents: dict[str, Agent] = {}
        for agent_config in config.agents:
            agent_config = self._with_market_prior(agent_config)
            self.agents[agent_config.agent_id] = agent_factory(
                agent_config, self._rngs[agent_config.agent_id], question)

        self.news: list[NewsItem] = [NewsItem(text, fraction * config.horizon)
                                     for text, fraction in question.news]
        self._released: list[NewsItem] = []
        self._trades: deque[TradePrint] = deque(maxlen=max(config.recent_trades, 1))
        self._stated: dict[str, float | None] = {agent_id: None for agent_id in self.agents}
        self._static: dict[str, float | None] = {agent_id: None for agent_id in self.agents}
        self._decision_counts = dict.fromkeys(self.agents, 0)
        self._fault_counts = dict.fromkeys(self.agents, 0)
        self._running: list[_PendingDecision] = []
        """Pending decisions that still have an asyncio task."""
        self._due_batches: dict[float, list[_PendingDecision]] = {}
        self._synchronous = {agent_id: getattr(agent, "synchronous_decide", False) is True
                             for agent_id, agent in self.agents.items()}

        # Parts of an observation that change only at known points, built once per change.
        self._public_question = question.public()
        self._news_seen: tuple[NewsItem, ...] = ()
        self._trades_seen: tuple[TradePrint, ...] | None = ()
        self._book_seen: L2Snapshot | None = None

    # Public

    async def run(self) -> SessionResult:
        """Run the session to settlement. Records are flushed to the sink as they grow."""
        config = self.config
        logger.info("session %s started: question %s, %d agents, horizon %.0f s, seed %d",
                    self.session_id, self.question.id, len(self.agents), config.horizon,
                    config.seed)
        self._record(0.0, "session_start", None, {
            "question_id": self.question.id,
            "seed": config.seed,
            "horizon": config.horizon,
            "open_at_community": config.open_at_community,
            "agents": [_describe(agent) for agent in config.agents],
        })
        for agent_config in config.agents:
            self._record_market(0.0, self.exchange.open_account(agent_config.agent_id,
                                                                agent_config.cash))
        await self._elicit_static_beliefs()

        self.env.process(self._news_process())
        self.env.process(self._snapshot_process())
        for agent_id in self.agents:
            self.env.process(self._agent_process(agent_id))
        await self._drive()

        result = self._settle()
        self.recorder.flush()
        logger.info("session %s ended: outcome %s, final price %s, %d events",
                    self.session_id, result.outcome.value, result.final_price,
                    len(self.recorder.rows))
        return result

    # Driver

    async def _drive(self) -> None:
        env = self.env
        horizon = self.config.horizon
        running = self._running
        steps = 0
        while True:
            next_time = env.peek()
            if next_time >= horizon:
                break
            if running:
                blocking = [p.task for p in running
                            if p.due <= next_time and not p.task.done()]  # type: ignore[union-attr]
                if blocking:
                    await asyncio.wait(blocking)
                    continue
            env.step()
            steps += 1
            if steps % 256 == 0:
                if self._progress is not None:
                    self._progress(env.now / horizon)
                await asyncio.sleep(0)  # let started decisions make progress
        # Decisions due after the horizon were never started, so nothing is pending here.
        if self._progress is not None:
            self._progress(1.0)

    # Processes

    def _agent_process(self, agent_id: str):  # noqa: ANN202 - SimPy generator
        config = self._configs[agent_id]
        rng = self._kernel_rng
        env = self.env
        horizon = self.config.horizon
        offset = float(rng.uniform(0.0, config.interval))
        next_wake = offset if config.start is None else config.start
        while True:
            if next_wake > env.now:
                yield env.timeout(next_wake - env.now)
            delay = (config.think + config.latency) * _jitter(rng, config.jitter)
            due = env.now + delay
            if due >= horizon:
                return
            pending = _PendingDecision(agent_id, env.now, due, env.event())
            self._start_decision(pending, self._observe(agent_id))
            self._schedule_due(pending)
            yield pending.done
            gap = (float(rng.exponential(config.interval)) if config.poisson
                   else config.interval)
            next_wake = max(next_wake + gap, env.now)

    def _start_decision(self, pending: _PendingDecision, observation: Observation) -> None:
        """Start the agent's `decide` on `observation`.

        An agent whose `synchronous_decide` is True promises that `decide` never awaits,
        so its coroutine runs to the end here, at request time, without an asyncio task
        and the event-loop round trips a task costs. Any other agent's decision runs as a
        task, concurrently with the others, and the driver waits for it before its due
        time. Either way the kernel reads the outcome only at the due time.
        """
        coroutine = self._safe_decide(pending.agent_id, observation)
        if not self._synchronous[pending.agent_id]:
            pending.task = asyncio.ensure_future(coroutine)
            self._running.append(pending)
            return
        try:
            awaited = coroutine.send(None)
        except StopIteration as stop:
            pending.decision = stop.value
            return
        except Exception as error:  # noqa: BLE001 - raised at the due time, as from a task
            pending.error = error
            return

        # NOTE: the first step ran outside any task. An agent that awaits anyway and enters
        # a task-bound scope (asyncio.timeout, an anyio cancel scope) before its first
        # await binds that scope to the driver's task, not to its own.
        logger.warning("session %s: agent %s sets synchronous_decide but its decide awaited: "
                       "this decision finishes as an asyncio task, and later ones start as "
                       "tasks; set synchronous_decide = False on its class",
                       self.session_id, pending.agent_id)
        self._synchronous[pending.agent_id] = False
        pending.task = asyncio.ensure_future(_finish(coroutine, awaited))
        self._running.append(pending)

    def _schedule_due(self, pending: _PendingDecision) -> None:
        batch = self._due_batches.get(pending.due)
        if batch is None:
            batch = self._due_batches[pending.due] = []
            timeout = self.env.timeout(pending.due - self.env.now, value=pending.due)
            timeout.callbacks.append(self._apply_batch)  # type: ignore[union-attr]
        batch.append(pending)

    def _apply_batch(self, timeout: simpy.Event) -> None:
        """Apply the decisions due at the time `timeout` fires, in agent-id order."""
        batch = self._due_batches.pop(timeout.value)
        if len(batch) > 1:
            batch.sort(key=lambda p: p.agent_id)
        for pending in batch:
            decision = pending.outcome()
            if pending.task is not None:
                self._running.remove(pending)
            self._apply(pending, decision)
            pending.done.succeed()

    def _news_process(self):  # noqa: ANN202 - SimPy generator
        for index, item in enumerate(self.news):
            if item.release_time >= self.config.horizon:
                return
            yield self.env.timeout(item.release_time - self.env.now)
            self._released.append(item)
            self._news_seen = tuple(self._released)
            self._record(self.env.now, "news", None, {"index": index, "text": item.text})

    def _snapshot_process(self):  # noqa: ANN202 - SimPy generator
        while True:
            self._record_snapshot(self.env.now)
            yield self.env.timeout(self.config.snapshot_interval)

    # Agent calls

    async def _elicit_static_beliefs(self) -> None:
        method = ElicitationMethod(self.config.elicitation)
        public = self.question.public()
        agent_ids = list(self.agents)
        beliefs = await asyncio.gather(*(self._safe_elicit(agent_id, public, method)
                                         for agent_id in agent_ids))
        for agent_id, belief in sorted(zip(agent_ids, beliefs, strict=True)):
            self._static[agent_id] = belief.probability
            self._record(0.0, "static_belief", agent_id, {
                "probability": belief.probability,
                "method": belief.method.value,
                "details": belief.details,
            })

    async def _safe_elicit(self, agent_id: str, question: Question,
                           method: ElicitationMethod) -> Belief:
        try:
            return await self.agents[agent_id].elicit(question, method)
        except Exception as error:  # noqa: BLE001 - a failing agent must not stop the session
            if getattr(error, "aborts_session", False):
                raise
            logger.warning("session %s: agent %s failed to state a static belief: %r",
                           self.session_id, agent_id, error)
            self._fault_counts[agent_id] += 1
            return Belief(None, method, {"error": repr(error)})

    async def _safe_decide(self, agent_id: str, observation: Observation) -> Decision:
        try:
            decision = await self.agents[agent_id].decide(observation)
        except Exception as error:  # noqa: BLE001 - a failing agent must not stop the session
            if getattr(error, "aborts_session", False):
                raise
            logger.warning("session %s: agent %s failed to decide at t=%.3f: %r",
                           self.session_id, agent_id, observation.time, error)
            return Decision(hold_reason=f"agent error: {error!r}")
        if not isinstance(decision, Decision):
            logger.warning("session %s: agent %s returned %r instead of a Decision",
                           self.session_id, agent_id, type(decision).__name__)
            return Decision(hold_reason=f"invalid decision type {type(decision).__name__}")
        return decision

    # Market

    def _observe(self, agent_id: str) -> Observation:
        # The book and the tape change only in `_apply` and `_record_market`, which clear
        # these copies, so agents that wake between two changes share one snapshot.
        book = self._book_seen
        if book is None:
            book = self._book_seen = self.exchange.snapshot(self.config.book_levels)
        trades = self._trades_seen
        if trades is None:
            trades = self._trades_seen = tuple(self._trades)
        account = self.exchange.accounts[agent_id]
        return Observation(
            agent_id=agent_id,
            time=self.env.now,
            horizon=self.config.horizon,
            question=self._public_question,
            news=self._news_seen,
            book=book,
            recent_trades=trades,
            last_price=self.exchange.last_trade_price,
            cash=account.cash,
            free_cash=account.free_cash,
            position=account.position,
            open_orders=tuple(account.open_orders()),
            last_probability=self._stated[agent_id],
        )

    def _apply(self, pending: _PendingDecision, decision: Decision) -> None:
        now = self.env.now
        agent_id = pending.agent_id
        self._decision_counts[agent_id] += 1
        if decision.hold_reason is not None:
            self._fault_counts[agent_id] += 1
        if decision.probability is not None:
            self._stated[agent_id] = decision.probability
        self._record(now, "decision", agent_id, {
            "requested_at": pending.requested_at,
            "probability": decision.probability,
            "reasoning": decision.reasoning,
            "orders": [{"contract": o.contract.value, "side": o.side.value, "price": o.price,
                        "quantity": o.quantity, "kind": o.kind.value} for o in decision.orders],
            "cancels": list(decision.cancels),
            "cancel_all": decision.cancel_all,
            "hold_reason": decision.hold_reason,
            "details": decision.details,
        })
        faults = decision.details.get("faults") if decision.details else None
        for fault in faults if isinstance(faults, list) else []:
            self._record(now, "agent_fault", agent_id, dict(fault))

        account = self.exchange.accounts[agent_id]
        cancels = sorted(account.orders) if decision.cancel_all else list(decision.cancels)
        if cancels or decision.orders:
            self._book_seen = None
        for order_id in cancels:
            self._record_market(now, self.exchange.cancel(agent_id, order_id))
        for order in decision.orders:
            mid_before = self.exchange.mid
            events = self.exchange.submit_contract(agent_id, order.contract, order.side,
                                                   order.price, order.quantity, order.kind)
            self._record_market(now, events, {"mid_before": mid_before,
                                              "mid_after": self.exchange.mid})

    def _record_market(self, t: float, events: list[Event],
                       trade_context: dict[str, object] | None = None) -> None:
        """Record exchange events; trades also get the mid before and after the taker order."""
        for event in events:
            payload = event_payload(event)
            if isinstance(event, Trade):
                agent_id = event.taker_id
                self._trades.append(TradePrint(t, event.price, event.quantity, event.taker_side))
                self._trades_seen = None
                if trade_context is not None:
                    payload.update(trade_context)
            else:
                agent_id = getattr(event, "agent_id", None) or None
            self._record(t, event.type, agent_id, payload)

    def _record_snapshot(self, t: float) -> None:
        snapshot = self.exchange.snapshot(10)
        self._record(t, "book_snapshot", None, {
            "bids": [[level.price, level.quantity] for level in snapshot.bids],
            "asks": [[level.price, level.quantity] for level in snapshot.asks],
            "mid": self.exchange.mid,
            "last_price": self.exchange.last_trade_price,
        })

    def _settle(self) -> SessionResult:
        horizon = self.config.horizon
        self._record_snapshot(horizon)
        final_price: float | None = self.exchange.last_trade_price
        if final_price is None:
            final_price = self.exchange.mid
        if self.question.outcome == 1:
            outcome = Outcome.YES
        elif self.question.outcome == 0:
            outcome = Outcome.NO
        else:
            outcome = Outcome.ANNULLED
        self._record(horizon, "resolution", None, {"outcome": outcome.value,
                                                   "final_price": final_price})
        events = self.exchange.settle(outcome)
        self._record_market(horizon, events)

        summaries = []
        for event in events:
            if not isinstance(event, Settled):
                continue
            agent_id = event.agent_id
            summaries.append(AgentSummary(
                agent_id=agent_id,
                kind=self._configs[agent_id].kind,
                static_probability=self._static[agent_id],
                stated_probability=self._stated[agent_id],
                position=event.position,
                pnl=event.pnl,
                decisions=self._decision_counts[agent_id],
                faults=self._fault_counts[agent_id],
            ))
        self._record(horizon, "session_end", None, {
            "outcome": outcome.value,
            "final_price": final_price,
            "events": len(self.recorder.rows) + 1,
        })
        return SessionResult(self.session_id, self.question, outcome, final_price, summaries,
                             self.recorder.rows)

    def _record(self, t: float, event_type: str, agent_id: str | None,
                payload: dict[str, object]) -> None:
        """Record a row; a contradictory fill also gets a `contradiction` row right after."""
        row = self.recorder.record(t, event_type, agent_id, payload)
        for flag in self.live_oracle.observe(row):
            self.recorder.record(t, CONTRADICTION, str(flag["agent"]), flag)

    def _with_market_prior(self, config: AgentConfig) -> AgentConfig:
        """Give a market maker the community probability as its opening price if asked to."""
        if (not self.config.open_at_community or config.kind != "lmsr"
                or self.question.community_probability is None
                or "initial_probability" in config.params):
            return config
        probability = min(max(self.question.community_probability, 0.01), 0.99)
        params = {**config.params, "initial_probability": probability}
        return replace(config, params=params)


async def _finish(coroutine: Coroutine[object, None, Decision], awaited: object) -> Decision:
    """Run the rest of a coroutine whose first step already ran and yielded `awaited`."""
    return await _continue(coroutine, awaited)


@types.coroutine
def _continue(coroutine: Coroutine[object, None, Decision],
              awaited: object) -> Generator[object, None, Decision]:
    # Hand each yielded future to the task running this generator and pass back what the
    # task sends or throws, as `await coroutine` would after its first step.
    while True:
        try:
            sent = yield awaited
        except BaseException as error:  # noqa: BLE001 - forwarded, including cancellation
            try:
                awaited = coroutine.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                awaited = coroutine.send(sent)
            except StopIteration as stop:
                return stop.value


def _jitter(rng: np.random.Generator, jitter: float) -> float:
    if jitter == 0.0:
        return 1.0
    return float(rng.uniform(1.0 - jitter, 1.0 + jitter))


def _describe(config: AgentConfig) -> dict[str, object]:
    return {"id": config.agent_id, "kind": config.kind, "params": config.params,
            "cash": config.cash, "interval": config.interval, "poisson": config.poisson,
            "think": config.think, "latency": config.latency, "jitter": config.jitter,
            "start": config.start}


async def run_session(session_id: str, question: Question, config: SessionConfig,
                      agent_factory: AgentFactory = default_agent_factory,
                      sink: EventSink | None = None) -> SessionResult:
    """Build and run one session."""
    if not math.isfinite(config.horizon):
        raise ValueError(f"horizon {config.horizon!r} is invalid: use a finite number")
    session = Session(session_id, question, config, agent_factory, sink)
    return await session.run()
