"""Stores for the replay app's tests, filled by running real baseline sessions.

Sessions use the baseline lineup (no language model), so each takes well under a second.
The lineup includes the `contrarian` control, which trades against its own stated
belief, so every complete session has flagged contradictions.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.config import SessionConfig
from sim.questions import builtin_questions
from sim.runner import BASELINE_LINEUP, lineup_from_specs, run_into_store
from sim.session import SessionResult
from sim.store import Store

APP = Path(__file__).resolve().parents[2] / "ui" / "app.py"
HORIZON = 1200.0


class StopRun(Exception):
    """Raised from a progress callback to stop a session part-way, like a killed run."""


def baseline_config(seed: int = 1) -> SessionConfig:
    return SessionConfig(agents=lineup_from_specs(list(BASELINE_LINEUP)), seed=seed,
                         horizon=HORIZON)


def run_session(store: Store, question_index: int = 0, seed: int = 1,
                tournament_id: str | None = None) -> SessionResult:
    question = builtin_questions()[question_index]
    return asyncio.run(run_into_store(question, baseline_config(seed), store,
                                      tournament_id=tournament_id))


def run_stopped_session(store: Store, question_index: int, seed: int) -> None:
    """Run a session that stops about half-way; it stays incomplete in the store."""

    def progress(fraction: float) -> None:
        if fraction >= 0.4:
            raise StopRun

    question = builtin_questions()[question_index]
    with pytest.raises(StopRun):
        asyncio.run(run_into_store(question, baseline_config(seed), store, progress=progress))


def add_tournament(path: Path, tournament_id: str, name: str) -> None:
    # NOTE: the store has no method that writes a tournament row yet, so tests insert it.
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO tournaments VALUES (?, ?, ?, ?, ?)",
                           (tournament_id, name, json.dumps({"seeds": [1, 2]}), time.time(),
                            "complete"))


@pytest.fixture(scope="session")
def filled_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with one complete session of question bb-001 (three news items)."""
    path = tmp_path_factory.mktemp("filled") / "sessions.db"
    with Store(path) as store:
        run_session(store)
    return path


@pytest.fixture(scope="session")
def mixed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a complete, an incomplete and a failed session."""
    path = tmp_path_factory.mktemp("mixed") / "sessions.db"
    with Store(path) as store:
        run_session(store, question_index=0, seed=1)
        run_stopped_session(store, question_index=1, seed=2)
        run_stopped_session(store, question_index=2, seed=3)
        failed = store.sessions()["id"].iloc[-1]
        store.fail_session(failed, "provider timed out three times")
    return path


@pytest.fixture(scope="session")
def tournament_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with a tournament of three complete sessions and one session outside it."""
    path = tmp_path_factory.mktemp("tournament") / "sessions.db"
    with Store(path) as store:
        for question_index in range(3):
            run_session(store, question_index=question_index, seed=1,
                        tournament_id="cup-1")
        run_session(store, question_index=3, seed=4)
    add_tournament(path, "cup-1", "baseline cup")
    return path


@pytest.fixture
def empty_store(tmp_path: Path) -> Path:
    path = tmp_path / "empty.db"
    Store(path).close()
    return path


@pytest.fixture
def corrupt_store(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not an SQLite database\n" * 64)
    return path


@pytest.fixture
def open_app(monkeypatch: pytest.MonkeyPatch):
    """Return a function that runs the app on a store and a page, and returns the AppTest."""

    def open_page(db: Path, page: str | None = None, **query: str) -> AppTest:
        monkeypatch.setenv("BELIEFBOOK_DB", str(db))
        app = AppTest.from_file(str(APP), default_timeout=60)
        for name, value in query.items():
            app.query_params[name] = value
        app.run()
        if page is not None:
            app.switch_page(f"views/{page}.py").run()
        return app

    return open_page
