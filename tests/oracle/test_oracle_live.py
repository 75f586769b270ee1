"""Live oracle: flags at the moment of a contradictory fill, equal to the batch table."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracle_rows import RecordBuilder, mixed_agent_record

from agents.protocol import Question
from market.oracle import LiveOracle, read_session
from sim.config import AgentConfig, SessionConfig
from sim.session import Session


def flags_of(rows, epsilon: float = 0.02) -> list[dict]:
    oracle = LiveOracle(epsilon)
    flags = []
    for row in rows:
        flags.extend(oracle.observe(row))
    return flags


def batch_contradictions(rows, epsilon: float = 0.02) -> list[tuple]:
    fills = read_session(rows, "s", epsilon=epsilon).fills
    flagged = fills[fills["contradictory"].fillna(False).astype(bool)]
    return [(fill.agent, fill.seq, fill.role, fill.price, fill.quantity, fill.stated,
             fill.ev_stated) for fill in flagged.itertuples()]


def as_tuples(flags: list[dict]) -> list[tuple]:
    return [(flag["agent"], flag["seq"], flag["role"], flag["price"], flag["quantity"],
             flag["belief"], flag["expected_value"]) for flag in flags]


def test_flag_on_contradictory_fill():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.7)
    oracle = LiveOracle()
    for row in builder.rows:
        assert oracle.observe(row) == []
    builder.trade("agent", "book", "buy", 80, quantity=3)
    flags = oracle.observe(builder.rows[-1])
    assert len(flags) == 1
    flag = flags[0]
    assert flag["agent"] == "agent"
    assert flag["seq"] == builder.rows[-1].seq
    assert flag["price"] == 80
    assert flag["belief"] == 0.7
    assert flag["expected_value"] == pytest.approx(-0.10)
    assert flag["quantity"] == 3
    assert flag["expected_loss"] == pytest.approx(30.0)
    assert flag["role"] == "taker"


def test_no_flag_on_rational_fill():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.7).trade("agent", "book", "buy", 60)
    assert flags_of(builder.rows) == []


def test_maker_flagged_too():
    # The maker states 0.3 and its resting bid at 60 meets a taker sell: it buys YES at
    # 0.60, an EV of -0.30 under its own belief.
    builder = RecordBuilder().start({"taker": "test", "maker": "test"})
    builder.decide("maker", 0.3)
    builder.trade("taker", "maker", "sell", 60)
    flags = flags_of(builder.rows)
    assert [(flag["agent"], flag["role"], flag["direction"]) for flag in flags] == [
        ("maker", "maker", "buy")]


def test_live_accepts_mappings():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.7).trade("agent", "book", "buy", 80)
    mappings = [{"seq": row.seq, "t": row.t, "type": row.type, "agent_id": row.agent_id,
                 "payload": row.payload} for row in builder.rows]
    assert as_tuples(flags_of(mappings)) == as_tuples(flags_of(builder.rows))


def test_live_ignores_contradiction_rows():
    builder = RecordBuilder().start({"agent": "test", "book": "test"})
    builder.decide("agent", 0.7).trade("agent", "book", "buy", 80)
    oracle = LiveOracle()
    flags = []
    for row in builder.rows:
        flags.extend(oracle.observe(row))
    recorded = builder.add("contradiction", flags[0]["agent"], flags[0])
    assert oracle.observe(recorded) == []


def test_live_rejects_out_of_order():
    builder = RecordBuilder().start({"agent": "test"})
    oracle = LiveOracle()
    oracle.observe(builder.rows[1])
    with pytest.raises(ValueError, match="seq order"):
        oracle.observe(builder.rows[0])


@pytest.mark.parametrize("epsilon", [0.0, 0.02, 0.04])
def test_live_matches_batch_synthetic(epsilon):
    rows = mixed_agent_record(0.3, 300, seed=8)
    expected = batch_contradictions(rows, epsilon)
    assert len(expected) > 0
    assert as_tuples(flags_of(rows, epsilon)) == expected


def test_live_matches_batch_session():
    question = Question(id="q-live", question="Will it?", outcome=1, community_probability=0.6)
    agents = (
        AgentConfig("maker", "lmsr", {"liquidity": 20000}, cash=500_000, interval=30, think=0),
        AgentConfig("noise-1", "noise", interval=20, poisson=True),
        AgentConfig("noise-2", "noise", interval=25, poisson=True),
        AgentConfig("contrarian", "contrarian", interval=60),
        AgentConfig("kelly", "kelly", interval=60),
    )
    result = asyncio.run(Session("s", question, SessionConfig(agents, seed=3,
                                                              horizon=1800)).run())
    expected = batch_contradictions(result.rows)
    assert len(expected) > 10
    assert as_tuples(flags_of(result.rows)) == expected


agent_names = st.sampled_from(["a", "b", "c"])
beliefs = st.one_of(st.none(), st.floats(0.0, 1.0))
steps = st.one_of(
    st.tuples(st.just("decide"), agent_names, beliefs),
    st.tuples(st.just("trade"), agent_names, agent_names, st.sampled_from(["buy", "sell"]),
              st.integers(1, 99), st.integers(1, 20)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(steps, max_size=40), st.sampled_from([0.0, 0.02, 0.1]))
def test_live_matches_batch_property(plan, epsilon):
    builder = RecordBuilder().start({"a": "x", "b": "y", "c": "z"})
    for step in plan:
        if step[0] == "decide":
            builder.decide(step[1], step[2])
        elif step[1] != step[2]:
            builder.trade(step[1], step[2], step[3], step[4], step[5])
    assert as_tuples(flags_of(builder.rows, epsilon)) == batch_contradictions(builder.rows,
                                                                              epsilon)
