"""Oracle report files and terminal output, on sessions run into a real SQLite store."""

from __future__ import annotations

import asyncio
import json
import logging
import math

import pytest
from oracle_rows import RecordBuilder

from agents.protocol import Question
from market.oracle import analyze_session
from sim.config import AgentConfig, SessionConfig
from sim.report import (
    agent_table,
    analyze_store,
    format_number,
    format_rate,
    markdown_table,
    summary_lines,
    write_report,
)
from sim.runner import run_into_store
from sim.store import Store, StoreError

QUESTION = Question(id="q-report", question="Will the report render?", outcome=1,
                    community_probability=0.6)
LINEUP = (
    AgentConfig("maker", "lmsr", {"liquidity": 20000}, cash=500_000, interval=30, think=0),
    AgentConfig("kelly", "kelly", interval=60),
    AgentConfig("contrarian", "contrarian", interval=60),
    AgentConfig("noise", "noise", interval=30),
)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "beliefbook.db"
    with Store(path) as store:
        for seed in (1, 2):
            config = SessionConfig(agents=LINEUP, seed=seed, horizon=1800)
            asyncio.run(run_into_store(QUESTION, config, store))
    return path


@pytest.fixture(scope="module")
def report(store_path):
    with Store.open_readonly(store_path) as store:
        return analyze_store(store, replicates=300)


def silent_report():
    builder = RecordBuilder().start({"talker": "llm", "silent": "llm"})
    builder.decide("talker", 0.8)
    builder.trade("talker", "silent", "buy", 90)
    builder.resolve("yes", 90.0)
    return analyze_session(builder.rows, "s", replicates=100)


def test_store_sessions_all_read(report):
    assert report.parameters["sessions"] == 2
    assert set(report.agents["agent"]) == {"maker", "kelly", "contrarian", "noise"}


def test_store_skips_incomplete(store_path, tmp_path, caplog):
    path = tmp_path / "copy.db"
    path.write_bytes(store_path.read_bytes())
    with Store(path) as store:
        store.begin_session("unfinished", QUESTION, 9, {})
    with Store.open_readonly(path) as store, caplog.at_level(logging.WARNING):
        report = analyze_store(store, replicates=50)
    assert report.parameters["sessions"] == 2
    assert "unfinished" in caplog.text


def test_store_unknown_session(store_path):
    with Store.open_readonly(store_path) as store, pytest.raises(StoreError, match="nope"):
        analyze_store(store, session_ids=["nope"])


def test_store_without_sessions(tmp_path):
    with Store(tmp_path / "empty.db") as store, pytest.raises(StoreError, match="no complete"):
        analyze_store(store)


def test_write_report_files(report, tmp_path):
    paths = write_report(report, tmp_path / "out")
    names = {path.name for path in paths}
    assert {"agents.csv", "fills.csv", "calibration.csv", "oracle.json", "oracle.md"} <= names
    assert all(path.exists() for path in paths)


def test_report_json_valid(report, tmp_path):
    write_report(report, tmp_path)
    data = json.loads((tmp_path / "oracle.json").read_text())
    assert data["parameters"]["epsilon"] == 0.02
    agents = {row["agent"]: row for row in data["agents"]}
    assert agents["contrarian"]["contradiction_rate"] == 1.0


def test_report_json_null_for_missing(tmp_path):
    write_report(silent_report(), tmp_path)
    data = json.loads((tmp_path / "oracle.json").read_text())
    silent = next(row for row in data["agents"] if row["agent"] == "silent")
    assert silent["contradiction_rate"] is None
    assert silent["judged_fills"] == 0


def test_report_markdown_tables(report, tmp_path):
    write_report(report, tmp_path)
    text = (tmp_path / "oracle.md").read_text()
    assert text.startswith("# Belief oracle report")
    assert "| agent | kind |" in text
    assert "## Calibration" in text
    assert "## Decision tests" in text


def test_agent_table_shows_intervals(report):
    table = agent_table(report)
    contrarian = next(line for line in table.splitlines() if line.startswith("contrarian"))
    assert "100.0% [100.0, 100.0] n=" in contrarian


def test_kind_table(report):
    table = agent_table(report, by="kind")
    assert table.splitlines()[1].startswith("kind")


def test_agent_table_rejects_grouping(report):
    with pytest.raises(ValueError, match="by"):
        agent_table(report, by="question")


def test_silent_agent_shown_missing():
    table = agent_table(silent_report())
    silent = next(line for line in table.splitlines() if line.startswith("silent"))
    assert "- n=0" in silent
    assert "0.0%" not in silent


def test_summary_lines_silent_agent():
    lines = summary_lines(silent_report())
    silent = next(line for line in lines if line.strip().startswith("silent (llm)"))
    assert "stated no belief" in silent


def test_summary_lines_most_contradictory_first(report):
    lines = summary_lines(report, limit=2)
    assert len(lines) == 3
    assert lines[1].strip().startswith("contrarian")


def test_format_missing_values():
    assert format_rate(math.nan, math.nan, math.nan) == "-"
    assert format_number(math.nan) == "-"


def test_format_rate_percent():
    assert format_rate(0.4111, 0.3233, 0.4931) == "41.1% [32.3, 49.3]"


def test_markdown_escapes_pipes():
    assert "a\\|b" in markdown_table([{"cell": "a|b"}])
