"""The session store: one SQLite file (WAL) with tournaments, sessions, agents,
questions, events and LLM calls.

A session row is written with status 'incomplete' before its first event and set to
'complete' only after its last, and events are written in batched transactions. So a
run killed at any point leaves a consistent file in which the unfinished session reads
as incomplete; running it again replaces its rows. Readers use `Store.open_readonly`.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from agents.protocol import Question
from sim.recorder import EventRow

logger = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS tournaments (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS questions (
    id TEXT PRIMARY KEY,
    question TEXT NOT NULL,
    background TEXT,
    resolution_criteria TEXT,
    open_date TEXT,
    close_date TEXT,
    resolve_date TEXT,
    outcome INTEGER,
    community_probability REAL,
    news TEXT,
    source TEXT,
    url TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    tournament_id TEXT REFERENCES tournaments(id),
    question_id TEXT NOT NULL REFERENCES questions(id),
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    started_at REAL NOT NULL,
    ended_at REAL,
    outcome TEXT,
    final_price REAL,
    events INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS agents (
    session_id TEXT NOT NULL REFERENCES sessions(id),
    agent_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    config TEXT NOT NULL,
    static_probability REAL,
    stated_probability REAL,
    position INTEGER,
    pnl INTEGER,
    decisions INTEGER,
    faults INTEGER,
    PRIMARY KEY (session_id, agent_id)
);
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    t REAL NOT NULL,
    type TEXT NOT NULL,
    agent_id TEXT,
    payload TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_by_type ON events(session_id, type);
CREATE TABLE IF NOT EXISTS llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT,
    agent_id TEXT,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    purpose TEXT,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost REAL,
    latency REAL,
    cache_hit INTEGER NOT NULL,
    raw_text TEXT,
    created_at REAL NOT NULL
);
"""

TABLES = ("tournaments", "questions", "sessions", "agents", "events", "llm_calls")

INCOMPLETE = "incomplete"
COMPLETE = "complete"
FAILED = "failed"


class StoreError(RuntimeError):
    """The store file is missing, unreadable, or not a beliefbook store."""


class Store:
    """Read-write access to a store file. Use one Store per process."""

    def __init__(self, path: str | Path, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only:
            if not self.path.exists():
                raise StoreError(f"store {self.path} not found: run `beliefbook run --db "
                                 f"{self.path}` first, or pass the right --db path")
            uri = f"file:{self.path.resolve()}?mode=ro"
            self.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            try:
                self.connection.execute("SELECT count(*) FROM sessions").fetchone()
            except sqlite3.DatabaseError as error:
                self.connection.close()
                raise StoreError(f"{self.path} is not a readable beliefbook store ({error}): "
                                 "pass the file written by `beliefbook run --db`") from None
            return
        if self.path.is_dir():
            raise StoreError(f"store {self.path} is a directory: pass a file name with --db")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.connection = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error as error:
            raise StoreError(f"store {self.path} cannot be opened ({error}): pass a writable "
                             "file path with --db") from None
        try:
            tables = {row[0] for row in self.connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "sessions" not in tables:
                self.connection.close()
                raise StoreError(f"{self.path} is an SQLite file of another program (tables "
                                 f"{', '.join(sorted(tables)[:5])}): pass a new file name "
                                 "with --db")
            self.connection.execute("PRAGMA journal_mode=WAL")
            self.connection.execute("PRAGMA synchronous=NORMAL")
            self.connection.executescript(SCHEMA)
        except sqlite3.DatabaseError as error:
            self.connection.close()
            raise StoreError(f"{self.path} cannot be used as a store ({error}): pass a new "
                             "file name with --db") from None

    @classmethod
    def open_readonly(cls, path: str | Path) -> Store:
        return cls(path, read_only=True)

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Writing

    def save_questions(self, questions: Iterable[Question]) -> None:
        rows = [(q.id, q.question, q.background, q.resolution_criteria, q.open_date,
                 q.close_date, q.resolve_date, q.outcome, q.community_probability,
                 json.dumps([{"text": text, "release": release} for text, release in q.news]),
                 q.source, q.url) for q in questions]
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO questions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def begin_session(self, session_id: str, question: Question, seed: int,
                      config: dict[str, object], tournament_id: str | None = None) -> None:
        """Write the session row as incomplete, replacing any earlier attempt's rows."""
        self.save_questions([question])
        with self.connection:
            self._delete_session_rows(session_id)
            self.connection.execute(
                "INSERT INTO sessions (id, tournament_id, question_id, seed, config, status, "
                "started_at) VALUES (?,?,?,?,?,?,?)",
                (session_id, tournament_id, question.id, seed, json.dumps(config), INCOMPLETE,
                 time.time()))

    def write_events(self, session_id: str, rows: list[EventRow]) -> None:
        """Append rows in one transaction (the Recorder's sink)."""
        self.write_encoded_events(session_id, [(row.seq, row.t, row.type, row.agent_id,
                                                row.to_json()) for row in rows])

    def write_encoded_events(self, session_id: str,
                             rows: list[tuple[int, float, str, str | None, str]]) -> None:
        """Append (seq, t, type, agent_id, payload JSON) rows in one transaction."""
        with self.connection:
            self.connection.executemany(
                "INSERT INTO events (session_id, seq, t, type, agent_id, payload) "
                "VALUES (?,?,?,?,?,?)", [(session_id, *row) for row in rows])
            self.connection.execute("UPDATE sessions SET events = events + ? WHERE id = ?",
                                    (len(rows), session_id))

    def finish_session(self, session_id: str, outcome: str, final_price: float | None,
                       agents: list[dict[str, object]]) -> None:
        """Write the agents' summaries and mark the session complete, in one transaction."""
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO agents VALUES (?,?,?,?,?,?,?,?,?,?)",
                [(session_id, a["agent_id"], a["kind"], json.dumps(a.get("config", {})),
                  a["static_probability"], a["stated_probability"], a["position"], a["pnl"],
                  a["decisions"], a["faults"]) for a in agents])
            self.connection.execute(
                "UPDATE sessions SET status = ?, ended_at = ?, outcome = ?, final_price = ? "
                "WHERE id = ?", (COMPLETE, time.time(), outcome, final_price, session_id))

    def fail_session(self, session_id: str, error: str) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE sessions SET status = ?, error = ?, ended_at = ? WHERE id = ?",
                (FAILED, error, time.time(), session_id))

    def record_llm_call(self, call: dict[str, object]) -> None:
        with self.connection:
            self.connection.execute(
                "INSERT INTO llm_calls (session_id, agent_id, provider, model, purpose, "
                "input_tokens, output_tokens, cost, latency, cache_hit, raw_text, created_at) "
                "VALUES (:session_id, :agent_id, :provider, :model, :purpose, :input_tokens, "
                ":output_tokens, :cost, :latency, :cache_hit, :raw_text, :created_at)",
                {"purpose": None, "created_at": time.time(), **call})

    def _delete_session_rows(self, session_id: str) -> None:
        for table, column in (("events", "session_id"), ("agents", "session_id"),
                              ("llm_calls", "session_id"), ("sessions", "id")):
            self.connection.execute(f"DELETE FROM {table} WHERE {column} = ?", (session_id,))

    # Reading

    def sessions(self) -> pd.DataFrame:
        return pd.read_sql_query(
            "SELECT s.*, q.question FROM sessions s LEFT JOIN questions q "
            "ON q.id = s.question_id ORDER BY s.started_at", self.connection)

    def session_status(self, session_id: str) -> str | None:
        row = self.connection.execute("SELECT status FROM sessions WHERE id = ?",
                                      (session_id,)).fetchone()
        return row[0] if row else None

    def events(self, session_id: str, types: Iterable[str] | None = None) -> pd.DataFrame:
        """Return a session's events in sequence order, payloads parsed into dicts."""
        query = "SELECT seq, t, type, agent_id, payload FROM events WHERE session_id = ?"
        params: list[object] = [session_id]
        if types is not None:
            types = list(types)
            query += f" AND type IN ({','.join('?' * len(types))})"
            params.extend(types)
        frame = pd.read_sql_query(query + " ORDER BY seq", self.connection, params=params)
        frame["payload"] = frame["payload"].map(json.loads)
        return frame

    def event_rows(self, session_id: str) -> list[EventRow]:
        cursor = self.connection.execute(
            "SELECT seq, t, type, agent_id, payload FROM events WHERE session_id = ? "
            "ORDER BY seq", (session_id,))
        return [EventRow(seq, t, event_type, agent_id, json.loads(payload))
                for seq, t, event_type, agent_id, payload in cursor]

    def agents(self, session_id: str | None = None) -> pd.DataFrame:
        if session_id is None:
            return pd.read_sql_query("SELECT * FROM agents", self.connection)
        return pd.read_sql_query("SELECT * FROM agents WHERE session_id = ?", self.connection,
                                 params=[session_id])

    def table(self, name: str) -> pd.DataFrame:
        if name not in TABLES:
            raise StoreError(f"table {name!r} is unknown: use one of {', '.join(TABLES)}")
        return pd.read_sql_query(f"SELECT * FROM {name}", self.connection)

    def export_parquet(self, directory: str | Path) -> list[Path]:
        """Write every table to DIRECTORY/<table>.parquet and return the paths."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in TABLES:
            path = directory / f"{name}.parquet"
            self.table(name).to_parquet(path, index=False)
            paths.append(path)
        logger.info("exported %d tables to %s", len(paths), directory)
        return paths
