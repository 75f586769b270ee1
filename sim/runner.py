"""Running sessions into a store: session ids, summaries, and the default lineup."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict

from agents.protocol import Question
from sim.config import AgentConfig, SessionConfig, parse_agent_spec
from sim.session import AgentFactory, Session, SessionResult, default_agent_factory
from sim.store import Store

logger = logging.getLogger(__name__)

DEFAULT_LINEUP = (
    "lmsr:id=maker,liquidity=20000,cash=500000,interval=30,think=0",
    "kelly:id=kelly,interval=60",
    "informed:id=informed,interval=90",
    "noise:id=noise-1,interval=45,poisson=true",
    "noise:id=noise-2,interval=45,poisson=true",
    "momentum:id=momentum,interval=120",
    "contrarian:id=contrarian,interval=150",
)
"""Agent specs used when `beliefbook run` is given no --agent."""


def lineup_from_specs(specs: list[str] | tuple[str, ...]) -> tuple[AgentConfig, ...]:
    """Parse agent specs; agents without id=NAME are named kind-1, kind-2, ..."""
    configs = []
    counts: dict[str, int] = {}
    for spec in specs:
        kind = spec.split(":", 1)[0].strip()
        counts[kind] = counts.get(kind, 0) + 1
        configs.append(parse_agent_spec(spec, default_id=f"{kind}-{counts[kind]}"))
    return tuple(configs)


def config_payload(config: SessionConfig) -> dict[str, object]:
    """Return the config as JSON-ready data (stored with the session)."""
    return json.loads(json.dumps(asdict(config), default=str))


def session_id_for(question: Question, config: SessionConfig) -> str:
    """Return a stable id: the same question, config and seed always get the same id."""
    text = json.dumps(config_payload(config), sort_keys=True)
    digest = hashlib.sha256(f"{question.id}|{text}".encode()).hexdigest()[:10]
    return f"{question.id}:seed{config.seed}:{digest}"


async def run_into_store(question: Question, config: SessionConfig, store: Store | None,
                         agent_factory: AgentFactory = default_agent_factory,
                         tournament_id: str | None = None,
                         progress: Callable[[float], None] | None = None) -> SessionResult:
    """Run one session, recording it in `store` (if given) as it runs.

    The session is marked complete only after its last event is written. If the run
    raises (including KeyboardInterrupt), the events recorded so far are flushed and
    the session stays incomplete.
    """
    session_id = session_id_for(question, config)
    if store is not None:
        store.begin_session(session_id, question, config.seed, config_payload(config),
                            tournament_id)
    session = Session(session_id, question, config, agent_factory, store, progress)
    try:
        result = await session.run()
    except BaseException:
        if store is not None:
            session.recorder.flush()
            logger.warning("session %s stopped before the end: it stays incomplete in %s",
                           session_id, store.path)
        raise
    if store is not None:
        agents = [{**asdict(summary), "config": _agent_config(config, summary.agent_id)}
                  for summary in result.agents]
        store.finish_session(session_id, result.outcome.value, result.final_price, agents)
    return result


def _agent_config(config: SessionConfig, agent_id: str) -> dict[str, object]:
    for agent in config.agents:
        if agent.agent_id == agent_id:
            return json.loads(json.dumps(asdict(agent), default=str))
    return {}
