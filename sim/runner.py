"""Running sessions into a store: session ids, summaries, and the default lineup."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict

from agents.llm.services import LLMServices
from agents.protocol import Question
from sim.config import AgentConfig, SessionConfig, parse_agent_spec
from sim.session import AgentFactory, Session, SessionResult, agent_factory_with
from sim.store import Store

logger = logging.getLogger(__name__)

BASELINE_LINEUP = (
    "lmsr:id=maker,liquidity=20000,cash=500000,interval=30,think=0",
    "kelly:id=kelly,interval=60",
    "informed:id=informed,interval=90",
    "noise:id=noise-1,interval=45,poisson=true",
    "noise:id=noise-2,interval=45,poisson=true",
    "momentum:id=momentum,interval=120",
    "contrarian:id=contrarian,interval=150",
)
"""Baseline traders only: fast, no model needed."""

DEFAULT_LINEUP = (
    "llm:id=llm-cautious,provider=local,temperature=0.3,persona=cautious,interval=900,think=30",
    "llm:id=llm-bold,provider=local,temperature=0.9,persona=bold,interval=900,think=30",
    "llm:id=llm-plain,provider=local,temperature=0.6,interval=900,think=30",
    "lmsr:id=maker,liquidity=20000,cash=500000,interval=30,think=0",
    "kelly:id=kelly,interval=120",
    "noise:id=noise,interval=60,poisson=true",
)
"""Three local-model LLM traders with an LMSR market maker, a Kelly and a noise trader."""

LINEUPS = {"default": DEFAULT_LINEUP, "baselines": BASELINE_LINEUP}


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
                         agent_factory: AgentFactory | None = None,
                         services: LLMServices | None = None,
                         tournament_id: str | None = None,
                         progress: Callable[[float], None] | None = None) -> SessionResult:
    """Run one session, recording it in `store` (if given) as it runs.

    Without `agent_factory`, agents come from the registry and LLM agents share
    `services`, whose call records go to the store's llm_calls table. The session is
    marked complete only after its last event is written. If the run raises (including
    KeyboardInterrupt), the events recorded so far are flushed and the session stays
    incomplete.
    """
    session_id = session_id_for(question, config)
    if agent_factory is None:
        session_services = None
        if services is not None:
            sink = store.record_llm_call if store is not None else None
            session_services = services.for_session(session_id, sink)
        agent_factory = agent_factory_with(session_services)
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
        configs = {agent.agent_id: agent_config_payload(agent) for agent in config.agents}
        agents = [{**asdict(summary), "config": configs.get(summary.agent_id, {})}
                  for summary in result.agents]
        store.finish_session(session_id, result.outcome.value, result.final_price, agents)
    return result


def agent_config_payload(agent: AgentConfig) -> dict[str, object]:
    """Return an agent's config as JSON-ready data (stored with its session's summary)."""
    return json.loads(json.dumps(asdict(agent), default=str))
