"""Whole sessions on real forecasting questions with the baseline lineup, through the CLI."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sim.cli import main
from sim.questions import load_questions
from sim.store import COMPLETE, INCOMPLETE, Store

PAYOUT = 100


def test_five_shared_questions_recorded_and_settled(shared_questions_path, tmp_path, capsys):
    db = tmp_path / "five.db"
    code = main(["run", "--questions", str(shared_questions_path), "--count", "5",
                 "--lineup", "baselines", "--horizon", "1800", "--db", str(db)])
    assert code == 0
    assert "Action-belief gap" in capsys.readouterr().out
    outcomes = {q.id: q.outcome for q in load_questions(shared_questions_path)}

    with Store.open_readonly(db) as store:
        sessions = store.sessions()
        assert len(sessions) == 5
        assert set(sessions["status"]) == {COMPLETE}
        for session_id, question_id in zip(sessions["id"], sessions["question_id"],
                                           strict=True):
            events = store.events(session_id)
            types = set(events["type"])
            for expected in ("accepted", "trade", "static_belief", "decision", "settled"):
                assert expected in types, (session_id, expected)

            accepted = events[events["type"] == "accepted"]
            order_ids = [payload["order_id"] for payload in accepted["payload"]]
            assert len(order_ids) == len(set(order_ids))
            for payload in events[events["type"] == "trade"]["payload"]:
                assert payload["maker_order_id"] in order_ids
                assert payload["taker_order_id"] in order_ids

            deposits = sum(p["cash"] for p in events[events["type"] == "account_opened"]
                           ["payload"])
            settled = list(events[events["type"] == "settled"]["payload"])
            assert sum(p["cash"] for p in settled) == deposits
            winning = "yes" if outcomes[question_id] == 1 else "no"
            for payload in settled:
                assert payload["outcome"] == winning
                held = payload["position"] if winning == "yes" else -payload["position"]
                assert payload["payout"] == PAYOUT * max(held, 0)


def test_sigint_leaves_store_incomplete_then_rerun_completes(tmp_path):
    db = tmp_path / "interrupted.db"
    command = [sys.executable, "-m", "sim.cli", "run", "--lineup", "baselines", "--count", "1",
               "--horizon", "2000000", "--db", str(db), "--cache-mode", "off"]
    process = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[2],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if db.exists() and _event_count(db) > 1000:
                break
            time.sleep(0.2)
        assert db.exists()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130
    assert b"interrupted" in stderr

    with Store.open_readonly(db) as store:
        sessions = store.sessions()
        assert list(sessions["status"]) == [INCOMPLETE]
        session_id = sessions.loc[0, "id"]
        rows = store.event_rows(session_id)
        assert [row.seq for row in rows] == list(range(len(rows)))
        assert sessions.loc[0, "events"] == len(rows)
        integrity = store.connection.execute("PRAGMA integrity_check").fetchone()[0]
        assert integrity == "ok"

    code = main(["run", "--lineup", "baselines", "--count", "1", "--horizon", "600",
                 "--db", str(db), "--cache-mode", "off"])
    assert code == 0
    with Store.open_readonly(db) as store:
        statuses = dict(zip(store.sessions()["id"], store.sessions()["status"], strict=True))
    assert statuses[session_id] == INCOMPLETE
    assert COMPLETE in statuses.values()


def _event_count(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT count(*) FROM events").fetchone()[0]
    except sqlite3.Error:
        return 0
