"""The control agents on a real session: Kelly never contradicts itself, the contrarian always."""

from __future__ import annotations

import asyncio

import pytest

from agents.protocol import Question
from market.oracle import LiveOracle, analyze_tournament
from sim.config import AgentConfig, SessionConfig
from sim.session import Session

QUESTIONS = (
    Question(id="q-yes", question="Will the control pass?", outcome=1,
             community_probability=0.65),
    Question(id="q-no", question="Will the control fail?", outcome=0,
             community_probability=0.3),
)

LINEUP = (
    AgentConfig("maker", "lmsr", {"liquidity": 20000}, cash=500_000, interval=30, think=0),
    AgentConfig("kelly", "kelly", interval=60),
    AgentConfig("informed", "informed", interval=90),
    AgentConfig("noise-1", "noise", interval=45, poisson=True),
    AgentConfig("noise-2", "noise", interval=45, poisson=True),
    AgentConfig("contrarian", "contrarian", interval=60),
)


@pytest.fixture(scope="module")
def sessions():
    records = {}
    for question in QUESTIONS:
        for seed in (1, 2):
            config = SessionConfig(agents=LINEUP, seed=seed, horizon=3600)
            session_id = f"{question.id}:{seed}"
            result = asyncio.run(Session(session_id, question, config).run())
            records[session_id] = result.rows
    return records


@pytest.fixture(scope="module")
def agents(sessions):
    return analyze_tournament(sessions, replicates=500).agents.set_index("agent")


def test_kelly_never_contradicts(agents):
    kelly = agents.loc["kelly"]
    assert kelly["judged_fills"] > 0
    assert kelly["contradiction_rate"] == 0.0
    assert kelly["expected_loss"] == 0.0


def test_informed_never_contradicts(agents):
    informed = agents.loc["informed"]
    assert informed["judged_fills"] > 0
    assert informed["contradiction_rate"] == 0.0


def test_contrarian_always_contradicts(agents):
    contrarian = agents.loc["contrarian"]
    assert contrarian["judged_fills"] > 0
    assert contrarian["contradiction_rate"] == 1.0
    assert contrarian["expected_loss"] > 0.0


def test_noise_in_between(agents):
    for agent in ("noise-1", "noise-2"):
        rate = agents.loc[agent, "contradiction_rate"]
        assert 0.0 < rate < 1.0, agent


def test_live_flags_only_contrarian_and_noise(sessions):
    flagged = set()
    for rows in sessions.values():
        oracle = LiveOracle()
        for row in rows:
            flagged.update(flag["agent"] for flag in oracle.observe(row))
    assert "contrarian" in flagged
    assert flagged <= {"contrarian", "noise-1", "noise-2"}
