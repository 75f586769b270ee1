"""A tournament killed midway (SIGKILL) or interrupted (SIGINT), then run again."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import psutil
import pytest

from sim.recorder import record_digest
from sim.store import COMPLETE, Store
from sim.tournament import load_spec, run_tournament

SPEC = '''
name = "resume"
seeds = [0, 1, 2, 3]
[questions]
count = 3
[session]
horizon = 6000
[lineups.baselines]
builtin = "baselines"
'''
TOTAL = 12


def start_cli(spec_path, db_path, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim.tournament", str(spec_path), "--db",
                             str(db_path), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def complete_ids(db_path) -> set[str]:
    """Return the ids of complete sessions, reading the store as another process would."""
    try:
        connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return set()
    try:
        rows = connection.execute("SELECT id FROM sessions WHERE status = ?", (COMPLETE,))
        return {row[0] for row in rows}
    except sqlite3.OperationalError:
        return set()
    finally:
        connection.close()


def wait_for_complete(process: subprocess.Popen, db_path, count: int,
                      timeout: float = 90) -> set[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = complete_ids(db_path)
        if len(done) >= count:
            return done
        if process.poll() is not None:
            pytest.fail(f"the tournament exited early: {process.stderr.read()}")
        time.sleep(0.02)
    process.kill()
    pytest.fail(f"fewer than {count} sessions complete after {timeout} s")


def digests(db_path) -> dict[str, str]:
    with Store.open_readonly(db_path) as store:
        return {sid: record_digest(store.event_rows(sid)) for sid in store.sessions()["id"]}


@pytest.fixture
def uninterrupted(write_spec, tmp_path):
    """Digests of the same tournament run without interruption."""
    spec = load_spec(write_spec(SPEC))
    with Store(tmp_path / "reference.db") as store:
        run_tournament(spec, store, progress=False)
    return digests(tmp_path / "reference.db")


def test_killed_run_resumes(write_spec, tmp_path, uninterrupted):
    spec_path = write_spec(SPEC)
    db_path = tmp_path / "killed.db"
    process = start_cli(spec_path, db_path, "--workers", "2")
    done_before = wait_for_complete(process, db_path, 3)
    workers = [child for child in psutil.Process(process.pid).children()
               if "spawn_main" in " ".join(child.cmdline())]
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    done_at_kill = complete_ids(db_path)
    gone, alive = psutil.wait_procs(workers, timeout=10)

    with Store(db_path) as store:
        result = run_tournament(load_spec(spec_path), store, progress=False)
        statuses = set(store.sessions()["status"])

    assert len(done_before) >= 3
    assert len(done_at_kill) < TOTAL
    assert len(workers) == 2
    assert alive == []
    assert set(result.skipped) == done_at_kill
    assert set(result.ran) == set(result.planned) - done_at_kill
    assert statuses == {COMPLETE}
    assert digests(db_path) == uninterrupted


def test_interrupted_run_marks_tournament(write_spec, tmp_path):
    spec_path = write_spec(SPEC)
    db_path = tmp_path / "interrupted.db"
    process = start_cli(spec_path, db_path)
    wait_for_complete(process, db_path, 2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)

    with Store.open_readonly(db_path) as store:
        status = store.table("tournaments").iloc[0]["status"]
        sessions = store.sessions()
    assert process.returncode == 130
    assert "rerun the same command" in stderr
    assert status == "interrupted"
    assert (sessions["status"] == COMPLETE).sum() < TOTAL
