"""Helpers shared by every page of the replay app: the store path, its errors, cached loads.

The store path comes from `--db PATH` after `--` on the `streamlit run` command line,
else from the BELIEFBOOK_DB environment variable, else `beliefbook.db` in the working
directory. Loads are cached with `st.cache_data`, keyed by the path, the session or
scope, and the store's version: the latest modification time of the file and its WAL.
So a store that a run is still writing is read again when it changes.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import streamlit as st

from market.oracle import OracleReport
from sim.report import analyze_store
from sim.store import Store, StoreError
from ui.loader import decision_details, list_sessions, list_tournaments, load_timeline
from ui.timeline import Timeline

DB_ENV = "BELIEFBOOK_DB"
DEFAULT_DB = "beliefbook.db"

STORE_HELP = ("The app reads the store named by `beliefbook ui --db PATH` (or by the "
              f"{DB_ENV} environment variable); it never writes to it.")


def db_path() -> Path:
    """Return the store path from `--db` in sys.argv, else BELIEFBOOK_DB, else the default."""
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    parser.add_argument("--db")
    args, _ = parser.parse_known_args(sys.argv[1:])
    return Path(args.db or os.environ.get(DB_ENV) or DEFAULT_DB)


def store_version(path: Path) -> float:
    """Return the latest modification time of the store file and its WAL (-1 if missing).

    A running session writes into the WAL file, and the main file changes only at
    checkpoints, so both times count.
    """
    times = [os.stat(candidate).st_mtime for candidate in (path, Path(f"{path}-wal"))
             if candidate.exists()]
    return max(times, default=-1.0)


def store_problem(path: Path) -> str | None:
    """Return why the store at `path` cannot be read, with the fix, or None when it can."""
    try:
        with Store.open_readonly(path):
            return None
    except StoreError as error:
        return str(error)
    except sqlite3.Error as error:
        return (f"{path} could not be opened ({error}): check the file's permissions, or "
                "pass a store written by `beliefbook run --db`")


def require_store() -> Path:
    """Return the store path, or show why it cannot be read and stop the page."""
    path = db_path()
    problem = store_problem(path)
    if problem is not None:
        st.error(f"**Cannot open the session store `{path}`.**\n\n{problem}\n\n{STORE_HELP}")
        st.stop()
    return path


@contextmanager
def store_errors(path: Path) -> Iterator[None]:
    """Show a store that breaks while being read as a message naming the file, and stop."""
    try:
        yield
    except (StoreError, sqlite3.DatabaseError) as error:
        st.error(f"**Reading the session store `{path}` failed:** {error}\n\nThe file may be "
                 "damaged or from another program: check it with `sqlite3 "
                 f"{path} 'PRAGMA integrity_check'`, or pass another store.\n\n{STORE_HELP}")
        st.stop()


def show_no_sessions(path: Path) -> None:
    st.info(f"No sessions yet in `{path}`: run `beliefbook run --db {path}` to record one "
            "(add `--lineup baselines` for a fast run without a language model).")


# Cached loads


@st.cache_data(show_spinner=False, max_entries=16)
def sessions_table(path: str, version: float) -> pd.DataFrame:
    with Store.open_readonly(path) as store:
        return list_sessions(store)


@st.cache_data(show_spinner=False, max_entries=16)
def tournaments_table(path: str, version: float) -> pd.DataFrame:
    with Store.open_readonly(path) as store:
        return list_tournaments(store)


@st.cache_data(show_spinner="Loading the session's events...", max_entries=4)
def session_timeline(path: str, session_id: str, version: float) -> Timeline:
    with Store.open_readonly(path) as store:
        return load_timeline(store, session_id)


@st.cache_data(show_spinner=False, max_entries=64)
def decision_text(path: str, session_id: str, version: float,
                  seqs: tuple[int, ...]) -> pd.DataFrame:
    with Store.open_readonly(path) as store:
        return decision_details(store, session_id, list(seqs))


@st.cache_data(show_spinner="Running the belief oracle...", max_entries=8)
def oracle_report(path: str, version: float, session_ids: tuple[str, ...] | None = None,
                  tournament_id: str | None = None) -> OracleReport:
    """Run the oracle on complete sessions; raises StoreError when none is left."""
    with Store.open_readonly(path) as store:
        return analyze_store(store, list(session_ids) if session_ids else None, tournament_id)


def has_tournaments(path: Path) -> bool:
    """Return True when the store can be read and its tournaments table has rows."""
    if store_problem(path) is not None:
        return False
    try:
        return not tournaments_table(str(path), store_version(path)).empty
    except (StoreError, sqlite3.DatabaseError):
        return False


# Formatting


def session_label(row: pd.Series) -> str:
    """Return a short label for a session: question id, seed, status and time started."""
    started = pd.to_datetime(row["started_at"], unit="s").strftime("%Y-%m-%d %H:%M")
    return f"{row['question_id']} · seed {row['seed']} · {row['status']} · {started}"


def dollars(cents: float | None) -> str:
    if cents is None or pd.isna(cents):
        return "-"
    return f"${cents / 100:,.2f}"


DARK2 = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
         "#666666"]
"""ColorBrewer's Dark2: eight colors without a pure red, which marks contradictions."""

TABLEAU20 = ["#1f77b4", "#aec7e8", "#ff7f0e", "#ffbb78", "#2ca02c", "#98df8a", "#9467bd",
             "#c5b0d5", "#8c564b", "#c49c94", "#e377c2", "#f7b6d2", "#7f7f7f", "#c7c7c7",
             "#bcbd22", "#dbdb8d", "#17becf", "#9edae5", "#393b79", "#637939"]
"""Twenty colors (Tableau 20 without its reds, and two darker blues and greens)."""


def agent_colors(agent_ids: list[str]) -> dict[str, str]:
    """Return one color per agent, stable for a given agent order."""
    palette = DARK2 if len(agent_ids) <= len(DARK2) else TABLEAU20
    return {agent_id: palette[index % len(palette)] for index, agent_id in enumerate(agent_ids)}
