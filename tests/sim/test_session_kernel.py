"""Session kernel: determinism, wall-time independence, news timing, settlement."""

from __future__ import annotations

import asyncio

import numpy as np
from kernel_agents import RandomTrader

from agents.protocol import Question
from market.types import PAYOUT
from sim.config import AgentConfig, SessionConfig
from sim.recorder import record_digest
from sim.session import Session, SessionResult

QUESTION = Question(id="q-test", question="Will the test pass?", outcome=1,
                    community_probability=0.6,
                    news=(("early news", 100 / 1000), ("late news", 600 / 1000)))


def lineup(count: int = 4, interval: float = 20.0) -> tuple[AgentConfig, ...]:
    return tuple(AgentConfig(f"trader-{i}", "random", cash=50_000, interval=interval,
                             think=3.0 + i, latency=0.5, jitter=0.5, poisson=i % 2 == 0)
                 for i in range(count))


def run(config: SessionConfig, max_sleep: float = 0.0,
        question: Question = QUESTION) -> tuple[SessionResult, Session]:
    def factory(agent_config, rng, _question):
        return RandomTrader(agent_config.agent_id, rng, max_sleep=max_sleep)

    session = Session("s-test", question, config, factory)
    return asyncio.run(session.run()), session


def test_same_seed_gives_identical_record():
    config = SessionConfig(agents=lineup(), seed=11, horizon=1000)
    first, _ = run(config)
    second, _ = run(config)
    assert record_digest(first.rows) == record_digest(second.rows)


def test_different_seed_changes_record():
    first, _ = run(SessionConfig(agents=lineup(), seed=11, horizon=1000))
    second, _ = run(SessionConfig(agents=lineup(), seed=12, horizon=1000))
    assert record_digest(first.rows) != record_digest(second.rows)


def test_wall_time_sleeps_leave_record_unchanged():
    config = SessionConfig(agents=lineup(interval=40.0), seed=5, horizon=600)
    quick, _ = run(config)
    slow, _ = run(config, max_sleep=0.02)
    assert len(quick.rows) == len(slow.rows)
    assert record_digest(quick.rows) == record_digest(slow.rows)


def test_record_has_trades_and_decisions():
    result, _ = run(SessionConfig(agents=lineup(), seed=3, horizon=1000))
    types = {row.type for row in result.rows}
    for expected in ("session_start", "static_belief", "decision", "accepted", "trade",
                     "news", "book_snapshot", "resolution", "settled", "session_end"):
        assert expected in types, expected


def test_news_hidden_until_release():
    config = SessionConfig(agents=lineup(interval=7.0), seed=2, horizon=1000)
    result, session = run(config)
    observations = [o for agent in session.agents.values() for o in agent.observations]
    before = [o for o in observations if o.time < 100]
    after = [o for o in observations if o.time >= 100]
    assert before and after
    assert all(not o.news for o in before)
    assert all(o.news[0].text == "early news" for o in after)
    assert all(len(o.news) == 1 for o in after if o.time < 600)
    news_rows = [row for row in result.rows if row.type == "news"]
    assert [row.t for row in news_rows] == [100.0, 600.0]


def test_observations_hide_outcome():
    _, session = run(SessionConfig(agents=lineup(), seed=2, horizon=500))
    observations = [o for agent in session.agents.values() for o in agent.observations]
    assert observations
    assert all(o.question.outcome is None for o in observations)


def test_decisions_apply_after_latency():
    result, _ = run(SessionConfig(agents=lineup(), seed=9, horizon=1000))
    decisions = [row for row in result.rows if row.type == "decision"]
    assert decisions
    for row in decisions:
        think = 3.0 + int(row.agent_id.split("-")[1])
        delay = row.t - row.payload["requested_at"]
        assert delay >= (think + 0.5) * 0.5 - 1e-9
        assert delay <= (think + 0.5) * 1.5 + 1e-9


def test_same_time_decisions_apply_in_agent_order():
    agents = tuple(AgentConfig(f"a{i}", "random", interval=10.0, think=1.0, latency=0.0,
                               start=0.0) for i in (3, 1, 2))
    result, _ = run(SessionConfig(agents=agents, seed=4, horizon=200))
    decisions = [row for row in result.rows if row.type == "decision"]
    by_time: dict[float, list[str]] = {}
    for row in decisions:
        by_time.setdefault(row.t, []).append(row.agent_id)
    assert any(len(ids) > 1 for ids in by_time.values())
    for ids in by_time.values():
        assert ids == sorted(ids)


def test_agent_busy_until_decision_applies():
    result, _ = run(SessionConfig(agents=lineup(count=2, interval=1.0), seed=1, horizon=300))
    for agent_id in ("trader-0", "trader-1"):
        rows = [row for row in result.rows if row.type == "decision" and row.agent_id == agent_id]
        for earlier, later in zip(rows, rows[1:], strict=False):
            assert later.payload["requested_at"] >= earlier.t


def test_settlement_pays_winners_and_conserves_cash():
    config = SessionConfig(agents=lineup(), seed=8, horizon=1000)
    result, session = run(config)
    deposits = sum(agent.cash for agent in config.agents)
    settled = [row for row in result.rows if row.type == "settled"]
    assert len(settled) == len(config.agents)
    final_cash = sum(row.payload["cash"] for row in settled)
    assert final_cash == deposits
    for row in settled:
        position = row.payload["position"]
        assert row.payload["payout"] == PAYOUT * max(position, 0)


def test_agent_error_becomes_recorded_hold():
    class Broken(RandomTrader):
        async def decide(self, observation):
            raise RuntimeError("provider down")

    def factory(agent_config, rng, _question):
        if agent_config.agent_id == "trader-0":
            return Broken(agent_config.agent_id, rng)
        return RandomTrader(agent_config.agent_id, rng)

    session = Session("s-broken", QUESTION, SessionConfig(agents=lineup(2), horizon=300),
                      factory)
    result = asyncio.run(session.run())
    holds = [row for row in result.rows
             if row.type == "decision" and row.agent_id == "trader-0"]
    assert holds
    assert all("provider down" in row.payload["hold_reason"] for row in holds)
    summary = {agent.agent_id: agent for agent in result.agents}
    assert summary["trader-0"].faults == len(holds)


def test_per_agent_generators_are_independent():
    config = SessionConfig(agents=lineup(3), seed=21, horizon=10)
    _, first = run(config)
    _, second = run(config)
    draws_first = [agent.rng.random() for agent in first.agents.values()]
    draws_second = [agent.rng.random() for agent in second.agents.values()]
    assert draws_first == draws_second
    assert len(set(draws_first)) == 3
    assert isinstance(first.agents["trader-0"].rng, np.random.Generator)


def test_contradictions_recorded_after_their_trade():
    result, _ = run(SessionConfig(agents=lineup(), seed=3, horizon=1000))
    flags = [row for row in result.rows if row.type == "contradiction"]
    assert flags
    by_seq = {row.seq: row for row in result.rows}
    for flag in flags:
        trade = by_seq[flag.payload["seq"]]
        assert trade.type == "trade"
        assert trade.seq < flag.seq
        assert flag.agent_id in (trade.payload["maker_id"], trade.payload["taker_id"])
        assert flag.payload["expected_value"] < -0.02


class SynchronousTrader(RandomTrader):
    """Declares that `decide` never awaits, so the kernel runs it inline."""

    synchronous_decide = True


def test_synchronous_agents_match_task_path():
    config = SessionConfig(agents=lineup(), seed=13, horizon=800)
    task_result, _ = run(config)

    def factory(agent_config, rng, _question):
        return SynchronousTrader(agent_config.agent_id, rng)

    inline = asyncio.run(Session("s-test", QUESTION, config, factory).run())
    assert record_digest(inline.rows) == record_digest(task_result.rows)


def test_synchronous_flag_with_await_falls_back():
    config = SessionConfig(agents=lineup(), seed=13, horizon=800)
    task_result, _ = run(config)

    def factory(agent_config, rng, _question):
        return SynchronousTrader(agent_config.agent_id, rng, max_sleep=0.002)

    fallback = asyncio.run(Session("s-test", QUESTION, config, factory).run())
    assert record_digest(fallback.rows) == record_digest(task_result.rows)
