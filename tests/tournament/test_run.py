"""run_tournament: complete runs, the leaderboard against the store, failures, resume, LLM costs."""

from __future__ import annotations

import asyncio
import json
from typing import ClassVar

import pytest
from loopback_llm import INPUT_TOKENS, MODEL, OUTPUT_TOKENS, LoopbackLLM

from agents.baselines import BaselineTrader
from agents.protocol import Belief, Decision, ElicitationMethod, Question
from agents.registry import register
from sim.recorder import record_digest
from sim.runner import run_into_store
from sim.store import COMPLETE, FAILED, Store
from sim.tournament import load_spec, plan_tournament, run_tournament, tournament_results

REPLICATES = 100

SHARED_SPEC = '''
name = "shared"
seeds = [0, 1]
[questions]
file = "{path}"
count = 3
[session]
horizon = 1800
[lineups.baselines]
builtin = "baselines"
[lineups.small]
agents = [
  "lmsr:id=maker,liquidity=10000,cash=500000,interval=30,think=0",
  {{ kind = "kelly", id = "kelly", schedule = {{ interval = 45 }} }},
  "noise:id=noise-1,interval=30,poisson=true",
  "contrarian:id=contrarian,interval=60",
]
'''


def run_shared(path, write_spec, tmp_path, results=True):
    """Run 3 shared questions x 2 baseline lineups x 2 seeds into tmp_path/t.db."""
    spec = load_spec(write_spec(SHARED_SPEC.format(path=path)))
    store = Store(tmp_path / "t.db")
    result = run_tournament(spec, store, progress=False)
    board = (tournament_results(store, result.tournament_id, replicates=REPLICATES)
             if results else None)
    return store, result, board


def test_shared_tournament_completes(shared_questions_path, write_spec, tmp_path):
    store, result, _ = run_shared(shared_questions_path, write_spec, tmp_path, results=False)
    with store:
        sessions = store.sessions()
        row = store.table("tournaments").iloc[0]
    combos = sessions.groupby("question_id")["seed"].apply(sorted)
    assert len(result.completed) == 12
    assert list(sessions["status"]) == [COMPLETE] * 12
    assert set(sessions["tournament_id"]) == {result.tournament_id}
    assert list(combos) == [[0, 0, 1, 1]] * 3
    assert row["spec"] == SHARED_SPEC.format(path=shared_questions_path)
    assert row["status"] == COMPLETE


def test_leaderboard_matches_agents_table(shared_questions_path, write_spec, tmp_path):
    store, _, results = run_shared(shared_questions_path, write_spec, tmp_path)
    with store:
        agents = store.agents()
        outcomes = store.sessions().set_index("id")["outcome"].map({"yes": 1.0, "no": 0.0})
    agents["y"] = agents["session_id"].map(outcomes)
    board = results.agents.set_index("agent")
    means = list(results.agents["pnl_mean_usd"])
    assert sorted(board.index) == sorted(agents["agent_id"].unique())
    assert means == sorted(means, reverse=True)
    for agent_id, rows in agents.groupby("agent_id"):
        row = board.loc[agent_id]
        static = rows.dropna(subset=["static_probability"])
        assert row["sessions"] == len(rows), agent_id
        assert row["pnl_total_usd"] == pytest.approx(rows["pnl"].sum() / 100), agent_id
        assert row["pnl_mean_usd"] == pytest.approx(rows["pnl"].mean() / 100), agent_id
        assert row["win_rate"] == pytest.approx((rows["pnl"] > 0).mean()), agent_id
        brier = ((static["static_probability"] - static["y"]) ** 2).mean()
        assert row["brier_static"] == pytest.approx(brier), agent_id

    kinds = results.kinds.set_index("kind")
    noise = agents[agents["kind"] == "noise"]
    assert kinds.loc["noise", "sessions"] == noise["session_id"].nunique()
    assert kinds.loc["noise", "pnl_total_usd"] == pytest.approx(noise["pnl"].sum() / 100)

    # The oracle's controls: Kelly never contradicts itself, the contrarian always does.
    assert board.loc["kelly", "judged_fills"] > 0
    assert board.loc["kelly", "contradiction_rate"] == 0.0
    assert board.loc["contrarian", "judged_fills"] > 0
    assert board.loc["contrarian", "contradiction_rate"] == 1.0


def test_rerun_skips_complete_sessions(small_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        first = run_tournament(small_spec, store, progress=False)
        second = run_tournament(small_spec, store, progress=False)
    assert second.ran == []
    assert second.skipped == first.planned
    assert second.tournament_id == first.tournament_id


# A session that raises


class TripwireError(RuntimeError):
    aborts_session = True
    """Makes the kernel stop the session instead of recording a hold."""


@register("tripwire")
class Tripwire(BaselineTrader):
    """Holds, but fails to state a belief on the questions listed in `broken`."""

    kind = "tripwire"
    broken: ClassVar[set[str]] = set()

    async def elicit(self, question: Question, method: ElicitationMethod) -> Belief:
        if question.id in self.broken:
            raise TripwireError(f"tripwire on {question.id}")
        return await super().elicit(question, method)

    def decide(self, observation: object) -> Decision:
        return Decision(hold_reason="tripwire holds")


TRIPWIRE_SPEC = '''
name = "tripwire"
seeds = [0, 1]
[questions]
ids = ["bb-001", "bb-002"]
[session]
horizon = 600
[lineups.a]
agents = ["lmsr:id=maker,interval=30,think=0", "kelly:id=kelly", "tripwire:id=trip"]
'''


@pytest.fixture
def tripwire_spec(write_spec):
    Tripwire.broken = {"bb-002"}
    yield load_spec(write_spec(TRIPWIRE_SPEC))
    Tripwire.broken = set()


def test_failed_session_recorded_with_error(tripwire_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(tripwire_spec, store, progress=False)
        sessions = store.sessions().set_index("id")
    broken = [sid for sid in result.planned if sid.startswith("bb-002:")]
    assert sorted(result.failed) == sorted(broken)
    assert all(sessions.loc[sid, "status"] == FAILED for sid in broken)
    assert all("TripwireError: tripwire on bb-002" in sessions.loc[sid, "error"]
               for sid in broken)


def test_tournament_goes_on_after_failure(tripwire_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(tripwire_spec, store, progress=False)
        status = store.table("tournaments").iloc[0]["status"]
    assert sorted(result.completed) == sorted(sid for sid in result.planned
                                              if sid.startswith("bb-001:"))
    assert result.status == "incomplete"
    assert status == "incomplete"


def test_rerun_redoes_only_failed(tripwire_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        first = run_tournament(tripwire_spec, store, progress=False)
        Tripwire.broken = set()
        second = run_tournament(tripwire_spec, store, progress=False)
        statuses = set(store.sessions()["status"])
    assert sorted(second.ran) == sorted(first.failed)
    assert sorted(second.skipped) == sorted(first.completed)
    assert statuses == {COMPLETE}


def test_incomplete_session_is_rerun(small_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        first = run_tournament(small_spec, store, progress=False)
        victim = first.planned[3]
        store.connection.execute("UPDATE sessions SET status = 'incomplete' WHERE id = ?",
                                 (victim,))
        store.connection.commit()
        before = record_digest(store.event_rows(victim))
        second = run_tournament(small_spec, store, progress=False)
        after = record_digest(store.event_rows(victim))
    assert second.ran == [victim]
    assert after == before


# LLM traders on a loopback server


LLM_SPEC = '''
name = "llm"
seeds = [0, 1, 2]
[questions]
count = 1
[session]
horizon = 1200
[lineups.llm]
agents = [
  "lmsr:id=maker,liquidity=10000,cash=500000,interval=30,think=0",
  {{ provider = "compatible", model = "{model}", base_url = "{url}", id = "bot", interval = 300 }},
]
[llm]
cache_mode = "{mode}"
cache = "cache.db"
prices = "prices.toml"
{extra}
'''
PRICE_PER_CALL = (INPUT_TOKENS * 1.0 + OUTPUT_TOKENS * 2.0) / 1_000_000
BUDGET = f"budget_usd = {2.5 * PRICE_PER_CALL}"
"""Enough for two calls and part of a third."""


@pytest.fixture
def llm_server(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    (tmp_path / "prices.toml").write_text(f'[{MODEL}]\ninput = 1.0\noutput = 2.0\n',
                                          encoding="utf-8")
    with LoopbackLLM() as server:
        yield server


def llm_spec(write_spec, server, mode="auto", extra=""):
    text = LLM_SPEC.format(model=MODEL, url=server.base_url, mode=mode, extra=extra)
    return load_spec(write_spec(text))


def test_llm_costs_reach_leaderboard(llm_server, write_spec, tmp_path):
    spec = llm_spec(write_spec, llm_server)
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(spec, store, progress=False)
        calls = store.table("llm_calls")
        bot = tournament_results(store, result.tournament_id,
                                 replicates=REPLICATES).agents.set_index("agent").loc["bot"]
    assert len(calls) == llm_server.requests
    assert bot["llm_calls"] == len(calls)
    assert bot["llm_cost_usd"] == pytest.approx(len(calls) * PRICE_PER_CALL)
    assert result.tokens == len(calls) * (INPUT_TOKENS + OUTPUT_TOKENS)


def test_llm_replay_matches_recording(llm_server, write_spec, tmp_path):
    spec = llm_spec(write_spec, llm_server)
    with Store(tmp_path / "a.db") as store:
        first = run_tournament(spec, store, progress=False)
        recorded = {sid: record_digest(store.event_rows(sid)) for sid in first.planned}
    served = llm_server.requests
    replay = llm_spec(write_spec, llm_server, mode="replay")
    with Store(tmp_path / "b.db") as store:
        second = run_tournament(replay, store, progress=False)
        replayed = {sid: record_digest(store.event_rows(sid)) for sid in second.planned}
        hits = store.table("llm_calls")["cache_hit"]
    assert llm_server.requests == served
    assert replayed == recorded
    assert hits.all()


def test_budget_stops_new_sessions(llm_server, write_spec, tmp_path):
    spec = llm_spec(write_spec, llm_server, mode="off", extra=BUDGET)
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(spec, store, progress=False)
        error = store.sessions().set_index("id").loc[result.ran[0], "error"]
    assert len(result.ran) == 1
    assert list(result.failed) == result.ran
    assert result.not_started == result.planned[1:]
    assert error.startswith("LLM budget reached")


def test_budget_session_shows_cut_calls(llm_server, write_spec, tmp_path):
    spec = llm_spec(write_spec, llm_server, mode="off", extra=BUDGET)
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(spec, store, progress=False)
        calls = store.table("llm_calls")
    assert len(calls) == 3
    assert result.cost == pytest.approx(3 * PRICE_PER_CALL)


def test_record_matches_direct_run(small_spec, tmp_path):
    planned = plan_tournament(small_spec).sessions[5]
    direct = asyncio.run(run_into_store(planned.question, planned.config, None))
    with Store(tmp_path / "t.db") as store:
        run_tournament(small_spec, store, progress=False)
        stored = store.event_rows(planned.session_id)
    assert record_digest(stored) == record_digest(direct.rows)


def test_agent_sessions_carry_lineup(small_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(small_spec, store, progress=False)
        results = tournament_results(store, result.tournament_id, replicates=REPLICATES)
    lineups = results.agent_sessions.groupby("lineup")["agent"].apply(set)
    assert lineups["small"] == {"maker", "kelly", "noise", "contrarian"}
    assert "momentum" in lineups["baselines"]


def test_session_config_matches_plan(small_spec, tmp_path):
    with Store(tmp_path / "t.db") as store:
        result = run_tournament(small_spec, store, progress=False)
        configs = store.sessions().set_index("id")["config"].map(json.loads)
    seeds = {sid: configs[sid]["seed"] for sid in result.planned}
    assert sorted(set(seeds.values())) == [0, 1]
    assert all(configs[sid]["horizon"] == 1200 for sid in result.planned)

