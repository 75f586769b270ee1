"""Reading the session store for the replay app: session lists and timelines.

Every function takes a `Store` opened read-only and only runs SELECT statements on it.
Large event types (order events, trades, decisions) are read with SQLite's
`json_extract`, which skips building a Python dict per row. A 200,000-event session
loads in about 0.75 s on the 2-CPU benchmark machine (bench/bench_ui.py).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd

from sim.store import Store
from ui.timeline import (
    AgentInfo,
    OrderEvent,
    Timeline,
    build_book,
    build_book_arrays,
    build_chart,
    build_fills,
)

SESSION_COLUMNS = ["id", "question_id", "question", "status", "outcome", "final_price",
                   "agents", "agent_count", "events", "seed", "tournament_id", "tournament",
                   "started_at", "ended_at", "error"]


class SessionNotFoundError(LookupError):
    """The requested session id is not in the store."""


def list_sessions(store: Store) -> pd.DataFrame:
    """Return one row per session, newest first, with its question and agent ids.

    The agent ids come from the session's stored config, so sessions that never
    finished list their agents too. `tournament` is the tournament's name.
    """
    sessions = store.sessions()
    if sessions.empty:
        return pd.DataFrame(columns=SESSION_COLUMNS)
    tournaments = store.table("tournaments")[["id", "name"]].rename(
        columns={"id": "tournament_id", "name": "tournament"})
    sessions = sessions.merge(tournaments, on="tournament_id", how="left")
    agent_lists = sessions["config"].map(_agent_ids)
    sessions["agents"] = agent_lists.map(", ".join)
    sessions["agent_count"] = agent_lists.map(len)
    sessions = sessions.sort_values("started_at", ascending=False, kind="stable")
    return sessions[SESSION_COLUMNS].reset_index(drop=True)


def _agent_ids(config_text: str | None) -> list[str]:
    try:
        config = json.loads(config_text or "{}")
    except json.JSONDecodeError:
        return []
    agents = config.get("agents", []) if isinstance(config, dict) else []
    return [str(agent.get("agent_id")) for agent in agents if isinstance(agent, dict)]


def list_tournaments(store: Store) -> pd.DataFrame:
    """Return the tournaments table with each tournament's session counts by status."""
    tournaments = store.table("tournaments")
    counts = pd.read_sql_query(
        "SELECT tournament_id AS id, "
        "SUM(status = 'complete') AS complete, COUNT(*) AS sessions "
        "FROM sessions WHERE tournament_id IS NOT NULL GROUP BY tournament_id",
        store.connection)
    tournaments = tournaments.merge(counts, on="id", how="left")
    tournaments[["complete", "sessions"]] = tournaments[["complete", "sessions"]].fillna(0)
    return tournaments.sort_values("created_at", ascending=False).reset_index(drop=True)


# Timelines

SMALL_TYPES = ("session_start", "account_opened", "static_belief", "news", "resolution",
               "settled", "replaced")
"""Event types with few rows per session, read with their whole JSON payload."""

QUERIES = {
    "accepted": (
        "SELECT seq, t, json_extract(payload, '$.order_id') AS order_id, "
        "json_extract(payload, '$.side') AS side, json_extract(payload, '$.price') AS price, "
        "json_extract(payload, '$.quantity') AS quantity "
        "FROM events WHERE session_id = ? AND type = 'accepted' ORDER BY seq",
        {"seq": "int64", "t": "float64", "order_id": "int64", "price": "int64",
         "quantity": "int64"}),
    "cancelled": (
        "SELECT seq, t, json_extract(payload, '$.order_id') AS order_id, "
        "json_extract(payload, '$.quantity') AS quantity "
        "FROM events WHERE session_id = ? AND type = 'cancelled' ORDER BY seq",
        {"seq": "int64", "t": "float64", "order_id": "int64", "quantity": "int64"}),
    "trades": (
        "SELECT seq, t, json_extract(payload, '$.price') AS price, "
        "json_extract(payload, '$.quantity') AS quantity, "
        "json_extract(payload, '$.taker_id') AS taker, "
        "json_extract(payload, '$.maker_id') AS maker, "
        "json_extract(payload, '$.taker_side') AS taker_side, "
        "json_extract(payload, '$.mid_before') AS mid_before, "
        "json_extract(payload, '$.mid_after') AS mid_after, "
        "json_extract(payload, '$.maker_order_id') AS maker_order_id, "
        "json_extract(payload, '$.taker_order_id') AS taker_order_id "
        "FROM events WHERE session_id = ? AND type = 'trade' ORDER BY seq",
        {"seq": "int64", "t": "float64", "price": "int64", "quantity": "int64",
         "mid_before": "float64", "mid_after": "float64", "maker_order_id": "int64",
         "taker_order_id": "int64"}),
    # The text of decisions (orders, reasoning) is read only for the rows on screen, by
    # `decision_details`, which keeps the cached timeline small.
    "decisions": (
        "SELECT seq, t, agent_id AS agent, "
        "json_extract(payload, '$.probability') AS probability "
        "FROM events WHERE session_id = ? AND type = 'decision' ORDER BY seq",
        {"seq": "int64", "t": "float64", "probability": "float64"}),
    # `trade_seq` is the seq of the flagged trade row.
    "contradictions": (
        "SELECT t, json_extract(payload, '$.agent') AS agent, "
        "json_extract(payload, '$.seq') AS trade_seq, "
        "json_extract(payload, '$.role') AS role, "
        "json_extract(payload, '$.direction') AS direction, "
        "json_extract(payload, '$.price') AS price, "
        "json_extract(payload, '$.quantity') AS quantity, "
        "json_extract(payload, '$.belief') AS belief, "
        "json_extract(payload, '$.expected_value') AS expected_value, "
        "json_extract(payload, '$.expected_loss') AS expected_loss, "
        "json_extract(payload, '$.high_confidence') AS high_confidence "
        "FROM events WHERE session_id = ? AND type = 'contradiction' ORDER BY seq",
        {"t": "float64", "trade_seq": "int64", "price": "float64", "quantity": "float64",
         "belief": "float64", "expected_value": "float64", "expected_loss": "float64"}),
}


def load_timeline(store: Store, session_id: str) -> Timeline:
    """Read one session's events and index them for replay.

    Raises SessionNotFoundError for an unknown id and ValueError when the session has
    no session_start row yet (a run that stopped before its first batch was written).
    """
    row = store.connection.execute("SELECT events FROM sessions WHERE id = ?",
                                   (session_id,)).fetchone()
    if row is None:
        raise SessionNotFoundError(f"session {session_id!r} not found in {store.path}")

    # NOTE: reading the event types in parallel threads, one connection each, was
    # slower here (1.2 s against 0.75 s for 200,000 events on 2 CPUs): building the
    # rows needs the GIL, so the threads mostly wait for each other.
    frames = {name: pd.read_sql_query(sql, store.connection, params=[session_id],
                                      dtype=dtypes)
              for name, (sql, dtypes) in QUERIES.items()}
    small = _small_events(store, session_id)

    start = next((payload for event_type, _, _, payload in small
                  if event_type == "session_start"), None)
    if start is None:
        raise ValueError(f"session {session_id} has no recorded events yet")
    agents = _agents(start, small)
    trades = frames["trades"]
    decisions = frames["decisions"]
    contradictions = frames["contradictions"]
    contradictions["high_confidence"] = contradictions["high_confidence"].astype(bool)

    if any(event_type == "replaced" for event_type, *_ in small):
        # A replace moves an order to a new level, which only the event loop follows.
        book = build_book(_order_events(store, session_id))
    else:
        book = build_book_arrays(frames["accepted"], trades, frames["cancelled"])

    end_row = store.connection.execute(
        "SELECT MAX(t), COUNT(*) FROM events WHERE session_id = ?", (session_id,)).fetchone()
    end = float(end_row[0] or 0.0)
    horizon = float(start.get("horizon") or end or 1.0)
    resolution = next(((t, payload) for event_type, t, _, payload in small
                       if event_type == "resolution"), None)
    settled = {agent_id: payload for event_type, _, agent_id, payload in small
               if event_type == "settled" and agent_id is not None}
    return Timeline(
        session_id=session_id,
        horizon=horizon,
        end=end,
        events=int(end_row[1]),
        agents=agents,
        trades=trades,
        decisions=decisions,
        news=_news(small),
        contradictions=contradictions,
        book=book,
        fills=build_fills(trades, agents),
        chart=build_chart(book, trades, decisions, agents, max(end, horizon)),
        outcome=None if resolution is None else str(resolution[1].get("outcome")),
        resolved_at=None if resolution is None else resolution[0],
        final_price=None if resolution is None else _number(resolution[1].get("final_price")),
        settled=settled,
    )


def _small_events(store: Store, session_id: str) -> list[tuple[str, float, str | None, dict]]:
    cursor = store.connection.execute(
        f"SELECT type, t, agent_id, payload FROM events WHERE session_id = ? "
        f"AND type IN ({','.join('?' * len(SMALL_TYPES))}) ORDER BY seq",
        (session_id, *SMALL_TYPES))
    return [(event_type, t, agent_id, json.loads(payload))
            for event_type, t, agent_id, payload in cursor]


def _agents(start: dict, small: list[tuple[str, float, str | None, dict]]
            ) -> dict[str, AgentInfo]:
    deposits = {str(payload.get("agent_id")): int(payload.get("cash", 0))
                for event_type, _, _, payload in small if event_type == "account_opened"}
    static = {agent_id: _number(payload.get("probability"))
              for event_type, _, agent_id, payload in small
              if event_type == "static_belief" and agent_id is not None}
    agents = {}
    for config in start.get("agents", []):
        agent_id = str(config.get("id"))
        agents[agent_id] = AgentInfo(agent_id, str(config.get("kind", "?")),
                                     deposits.get(agent_id, int(config.get("cash") or 0)),
                                     static.get(agent_id))
    return agents


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _order_events(store: Store, session_id: str) -> Iterator[OrderEvent]:
    cursor = store.connection.execute(
        "SELECT seq, t, type, json_extract(payload, '$.order_id'), "
        "json_extract(payload, '$.side'), json_extract(payload, '$.price'), "
        "json_extract(payload, '$.quantity'), json_extract(payload, '$.maker_order_id'), "
        "json_extract(payload, '$.taker_order_id') "
        "FROM events WHERE session_id = ? AND type IN ('accepted', 'trade', 'cancelled', "
        "'replaced') ORDER BY seq", (session_id,))
    for row in cursor:
        yield OrderEvent(*row)


def _news(small: list[tuple[str, float, str | None, dict]]) -> pd.DataFrame:
    rows = [(t, str(payload.get("text", ""))) for event_type, t, _, payload in small
            if event_type == "news"]
    return pd.DataFrame(rows, columns=["t", "text"]).astype({"t": "float64"})


def decision_details(store: Store, session_id: str, seqs: list[int]) -> pd.DataFrame:
    """Return the text of the decisions with these seqs: orders (JSON), cancels, reasoning.

    Columns: seq, orders, cancels (count), cancel_all, hold_reason, reasoning.
    """
    if not seqs:
        return pd.DataFrame(columns=["seq", "orders", "cancels", "cancel_all", "hold_reason",
                                     "reasoning"])
    placeholders = ",".join("?" * len(seqs))
    return pd.read_sql_query(
        "SELECT seq, json_extract(payload, '$.orders') AS orders, "
        "json_array_length(payload, '$.cancels') AS cancels, "
        "json_extract(payload, '$.cancel_all') AS cancel_all, "
        "json_extract(payload, '$.hold_reason') AS hold_reason, "
        "json_extract(payload, '$.reasoning') AS reasoning "
        f"FROM events WHERE session_id = ? AND seq IN ({placeholders}) ORDER BY seq",
        store.connection, params=[session_id, *seqs], dtype={"seq": "int64"})


def format_orders(orders_json: str | None, cancels: float | None = None,
                  cancel_all: object = None) -> str:
    """Return a decision's orders as text, e.g. 'buy 6 YES @ 49 (limit); cancel 2'."""
    parts = []
    for order in json.loads(orders_json or "[]"):
        price = order.get("price")
        at = "" if price is None else f" @ {price}"
        parts.append(f"{order.get('side')} {order.get('quantity')} "
                     f"{str(order.get('contract', 'yes')).upper()}{at} ({order.get('kind')})")
    if cancel_all:
        parts.append("cancel all")
    elif cancels is not None and not np.isnan(cancels) and int(cancels) > 0:
        parts.append(f"cancel {int(cancels)}")
    return "; ".join(parts) if parts else "-"
