"""Session store: recording, read-only access, interrupted sessions, Parquet export."""

from __future__ import annotations

import asyncio
import sqlite3

import pandas as pd
import pytest
from kernel_agents import RandomTrader

from agents.protocol import Question
from sim.config import AgentConfig, SessionConfig
from sim.recorder import record_digest
from sim.runner import run_into_store, session_id_for
from sim.store import COMPLETE, INCOMPLETE, Store, StoreError

QUESTION = Question(id="store-q", question="Will the store hold?", outcome=0)
CONFIG = SessionConfig(agents=tuple(AgentConfig(f"t{i}", "random", interval=10.0)
                                    for i in range(3)), seed=4, horizon=2000)


def factory(agent_config, rng, _question):
    return RandomTrader(agent_config.agent_id, rng)


def run(store: Store | None, config: SessionConfig = CONFIG):
    return asyncio.run(run_into_store(QUESTION, config, store, agent_factory=factory))


def test_store_holds_every_event(tmp_path):
    with Store(tmp_path / "s.db") as store:
        result = run(store)
        stored = store.event_rows(result.session_id)
    assert len(stored) == len(result.rows)
    assert record_digest(stored) == record_digest(result.rows)


def test_store_marks_session_complete(tmp_path):
    with Store(tmp_path / "s.db") as store:
        result = run(store)
        sessions = store.sessions()
        agents = store.agents(result.session_id)
    assert sessions.loc[0, "status"] == COMPLETE
    assert sessions.loc[0, "events"] == len(result.rows)
    assert sorted(agents["agent_id"]) == ["t0", "t1", "t2"]


def test_store_uses_wal(tmp_path):
    with Store(tmp_path / "s.db") as store:
        mode = store.connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_readonly_store_rejects_writes(tmp_path):
    path = tmp_path / "s.db"
    with Store(path) as store:
        run(store)
    with Store.open_readonly(path) as reader:
        assert len(reader.sessions()) == 1
        with pytest.raises(sqlite3.OperationalError):
            reader.connection.execute("DELETE FROM events")


def test_readonly_missing_store_names_file(tmp_path):
    with pytest.raises(StoreError, match="absent.db not found"):
        Store.open_readonly(tmp_path / "absent.db")


def test_readonly_corrupt_store_names_file(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="corrupt.db is not a readable"):
        Store.open_readonly(path)


def test_interrupted_session_stays_incomplete(tmp_path):
    class Interrupting(RandomTrader):
        async def decide(self, observation):
            if observation.time > 1000:
                raise KeyboardInterrupt
            return await super().decide(observation)

    def interrupting_factory(agent_config, rng, _question):
        return Interrupting(agent_config.agent_id, rng)

    path = tmp_path / "s.db"
    with Store(path) as store, pytest.raises(KeyboardInterrupt):
        asyncio.run(run_into_store(QUESTION, CONFIG, store, agent_factory=interrupting_factory))
    session_id = session_id_for(QUESTION, CONFIG)
    with Store.open_readonly(path) as reader:
        assert reader.session_status(session_id) == INCOMPLETE
        rows = reader.event_rows(session_id)
    assert rows
    assert [row.seq for row in rows] == list(range(len(rows)))

    with Store(path) as store:
        result = run(store)
        assert store.session_status(session_id) == COMPLETE
        assert len(store.event_rows(session_id)) == len(result.rows)


def test_rerun_replaces_session_rows(tmp_path):
    with Store(tmp_path / "s.db") as store:
        first = run(store)
        second = run(store)
        stored = store.event_rows(second.session_id)
        sessions = store.sessions()
    assert first.session_id == second.session_id
    assert len(sessions) == 1
    assert len(stored) == len(second.rows)


def test_export_parquet_writes_tables(tmp_path):
    with Store(tmp_path / "s.db") as store:
        result = run(store)
        paths = store.export_parquet(tmp_path / "parquet")
    names = sorted(path.stem for path in paths)
    assert names == sorted(["tournaments", "questions", "sessions", "agents", "events",
                            "llm_calls"])
    events = pd.read_parquet(tmp_path / "parquet" / "events.parquet")
    assert len(events) == len(result.rows)
