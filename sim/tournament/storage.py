"""The driver's writes and reads of tournament rows in the session store.

The store has no tournament methods yet, so the few statements needed here run on its
connection. Each function is one transaction, so a run killed between two of them
leaves a consistent file: a session is complete only once its events, agents and LLM
calls are all written.
"""

from __future__ import annotations

import json
import time

import pandas as pd

from sim.runner import config_payload
from sim.store import COMPLETE, Store, StoreError
from sim.tournament.plan import PlannedSession, TournamentPlan
from sim.tournament.spec import TournamentSpec
from sim.tournament.tasks import SessionOutcome

RUNNING = "running"
INCOMPLETE = "incomplete"
INTERRUPTED = "interrupted"
"""Tournament statuses besides COMPLETE: `incomplete` means some sessions failed or were
not run (budget), `interrupted` that the run was stopped (Ctrl-C). A killed run stays
`running` until it is rerun."""


def record_tournament(store: Store, plan: TournamentPlan, spec: TournamentSpec) -> None:
    """Insert the tournament row, or update its spec text and status on a rerun."""
    with store.connection:
        store.connection.execute(
            "INSERT INTO tournaments (id, name, spec, created_at, status) VALUES (?,?,?,?,?) "
            "ON CONFLICT(id) DO UPDATE SET spec = excluded.spec, status = excluded.status",
            (plan.tournament_id, spec.name, spec.text, time.time(), RUNNING))


def set_tournament_status(store: Store, tournament_id: str, status: str) -> None:
    with store.connection:
        store.connection.execute("UPDATE tournaments SET status = ? WHERE id = ?",
                                 (status, tournament_id))


def session_states(store: Store, session_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Return (status, tournament id) of each stored session among `session_ids`."""
    states: dict[str, tuple[str, str | None]] = {}
    wanted = list(session_ids)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        cursor = store.connection.execute(
            f"SELECT id, status, tournament_id FROM sessions WHERE id IN "
            f"({','.join('?' * len(chunk))})", chunk)
        for session_id, status, tournament_id in cursor:
            states[session_id] = (status, tournament_id)
    return states


def claim_sessions(store: Store, session_ids: list[str], tournament_id: str) -> None:
    """Tag complete sessions with this tournament (a session belongs to one tournament)."""
    with store.connection:
        store.connection.executemany("UPDATE sessions SET tournament_id = ? WHERE id = ?",
                                     [(tournament_id, session_id) for session_id in session_ids])


def mark_started(store: Store, planned: PlannedSession, tournament_id: str) -> None:
    """Write the session row as incomplete, so a killed run shows what was in flight."""
    store.begin_session(planned.session_id, planned.question, planned.seed,
                        config_payload(planned.config), tournament_id)


def write_outcome(store: Store, planned: PlannedSession, outcome: SessionOutcome,
                  tournament_id: str) -> None:
    """Write a finished session: its events, LLM calls and agents, or its error.

    Earlier attempts' rows of the session (events, agents, LLM calls) are replaced.
    """
    session_id = planned.session_id
    store.begin_session(session_id, planned.question, planned.seed,
                        config_payload(planned.config), tournament_id)
    with store.connection:
        store.connection.execute("DELETE FROM llm_calls WHERE session_id = ?", (session_id,))
    if outcome.events:
        store.write_encoded_events(session_id, outcome.events)
    for call in outcome.calls:
        store.record_llm_call({**call, "session_id": session_id})

    if outcome.status == COMPLETE:
        store.finish_session(session_id, outcome.outcome or "", outcome.final_price,
                             outcome.agents)
    else:
        store.fail_session(session_id, outcome.error or "failed with no error text")
    with store.connection:
        store.connection.execute("UPDATE sessions SET started_at = ?, ended_at = ? WHERE id = ?",
                                 (outcome.started_at, outcome.ended_at, session_id))


def tournament_row(store: Store, tournament_id: str) -> dict[str, object]:
    """Return the tournament's row; raise StoreError naming the stored ids when missing."""
    row = store.connection.execute(
        "SELECT id, name, spec, created_at, status FROM tournaments WHERE id = ?",
        (tournament_id,)).fetchone()
    if row is None:
        known = [item[0] for item in store.connection.execute(
            "SELECT id FROM tournaments ORDER BY created_at")]
        listing = ", ".join(known) if known else "none"
        raise StoreError(f"tournament {tournament_id!r} not found in {store.path}: stored "
                         f"tournaments are {listing}")
    return dict(zip(("id", "name", "spec", "created_at", "status"), row, strict=True))


def tournament_sessions(store: Store, tournament_id: str) -> pd.DataFrame:
    """Return the tournament's session rows (every status), with their config parsed."""
    frame = pd.read_sql_query(
        "SELECT id, question_id, seed, config, status, error, started_at, ended_at, outcome, "
        "final_price, events FROM sessions WHERE tournament_id = ? ORDER BY id",
        store.connection, params=[tournament_id])
    frame["config"] = frame["config"].map(json.loads)
    return frame

