"""The sessions of a tournament: one per (question, lineup, seed), with stable ids."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from agents.protocol import Question
from agents.registry import agent_classes
from sim.config import SessionConfig
from sim.runner import session_id_for
from sim.tournament.fields import SpecError
from sim.tournament.spec import TournamentSpec


@dataclass(frozen=True)
class PlannedSession:
    """One session of the tournament and where it comes from in the spec."""

    session_id: str
    question: Question
    lineup: str
    seed: int
    config: SessionConfig


@dataclass(frozen=True)
class TournamentPlan:
    """Every session of a tournament, in run order (question, then lineup, then seed).

    `tournament_id` is the spec's name and a digest of the name and the session ids.
    Session ids cover the question id, the full config and the seed. So editing
    comments, the LLM cache settings or the budget keeps the id, while changing a
    question, a lineup, a seed or a session setting gives a new tournament.
    """

    tournament_id: str
    sessions: tuple[PlannedSession, ...]

    @property
    def session_ids(self) -> list[str]:
        return [planned.session_id for planned in self.sessions]


def plan_tournament(spec: TournamentSpec) -> TournamentPlan:
    """Load the questions and list the sessions; raise SpecError on a bad combination."""
    questions = spec.questions.load()
    _check_outcomes(spec, questions)
    sessions = []
    for question in questions:
        for lineup in spec.lineups:
            for seed in spec.seeds:
                config = spec.session.config(lineup.agents, seed)
                sessions.append(PlannedSession(session_id_for(question, config), question,
                                               lineup.name, seed, config))
    return TournamentPlan(tournament_id_for(spec.name, [s.session_id for s in sessions]),
                          tuple(sessions))


def tournament_id_for(name: str, session_ids: list[str]) -> str:
    """Return `name-<10 hex digits>`, a digest of the name and the sorted session ids."""
    material = json.dumps([name, sorted(session_ids)])
    return f"{name}-{hashlib.sha256(material.encode()).hexdigest()[:10]}"


def lineup_key(agents: object) -> str:
    """Return a canonical JSON text of a config's `agents` list, to match it to a lineup."""
    return json.dumps(agents, sort_keys=True, default=str)


def _check_outcomes(spec: TournamentSpec, questions: list[Question]) -> None:
    """Agents that need the outcome (informed) cannot trade an unresolved question."""
    unresolved = [question.id for question in questions if question.outcome is None]
    if not unresolved:
        return
    classes = agent_classes()
    for lineup in spec.lineups:
        for agent in lineup.agents:
            if getattr(classes[agent.kind], "needs_outcome", False):
                raise SpecError(f"{spec.source}: lineups.{lineup.name}: agent {agent.agent_id} "
                                f"(kind {agent.kind}) needs resolved questions, but "
                                f"{', '.join(unresolved[:3])} have no outcome: set "
                                "questions.resolved_only = true or remove the agent")
