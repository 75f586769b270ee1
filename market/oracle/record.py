"""A session's record read into the oracle's observation tables."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

import pandas as pd

from market.oracle.fills import DEFAULT_EPSILON, HIGH_CONFIDENCE, Fill, fill_frame
from market.oracle.rows import Row, RowsInput, to_rows
from market.oracle.tracker import DecisionOrder, SessionTracker, Statement

ANNULLED = "annulled"


@dataclass(frozen=True)
class SessionRecord:
    """The observation tables of one session.

    `fills` has one row per fill (see `Fill`), `statements` one per stated probability
    (see `Statement`) and `orders` one per order of a decision (see `DecisionOrder`).
    `agents` has one row per agent with its end-of-session state: kind, starting cash (cents),
    static belief, last stated belief and the reference price at that statement
    (cents), final position (shares, from the `settled` row when there is one, else
    from the fills), settlement PnL (cents) and counts. `outcome` is "yes", "no",
    "annulled", or None for a record that stops before resolution. `final_price` is
    the resolution's price in cents.
    """

    session_id: str
    question_id: str | None
    seed: int | None
    outcome: str | None
    final_price: float | None
    fills: pd.DataFrame
    statements: pd.DataFrame
    orders: pd.DataFrame
    agents: pd.DataFrame

    @property
    def resolved(self) -> bool:
        """True when the question resolved YES or NO (not annulled, not unfinished)."""
        return self.outcome in ("yes", "no")

    @property
    def outcome_value(self) -> float:
        """1.0 for YES, 0.0 for NO, NaN otherwise."""
        return {"yes": 1.0, "no": 0.0}.get(self.outcome or "", float("nan"))


AGENT_COLUMNS = ("session", "agent", "kind", "starting_cash", "static", "stated",
                 "reference_price", "final_position", "pnl", "fills", "statements")

_STATEMENT_DTYPES = {
    "seq": "int64", "t": "float64", "probability": "float64", "static": "float64",
    "drift": "float64", "reference_price": "float64", "fills_before": "int64",
    "revealed_lower": "float64", "revealed_upper": "float64", "revealed_empty": "bool",
    "outside": "boolean",
}

_ORDER_DTYPES = {
    "seq": "int64", "t": "float64", "probability": "float64", "price": "float64",
    "buy": "bool", "quantity": "int64",
}


def read_session(rows: RowsInput, session_id: str | None = None,
                 epsilon: float = DEFAULT_EPSILON,
                 high_confidence: float = HIGH_CONFIDENCE) -> SessionRecord:
    """Replay one session's rows and return its observation tables.

    `rows` is a DataFrame from `Store.events` or a sequence of `EventRow`-like objects.
    Without `session_id` the session is named "<question_id>:seed<seed>" from its
    `session_start` row. `epsilon` and `high_confidence` set the fill flags (see
    `market.oracle.fills`).
    """
    normalised = to_rows(rows)
    if session_id is None:
        session_id = _default_session_id(normalised)
    tracker = SessionTracker(session_id, epsilon, high_confidence)
    fills: list[Fill] = []
    for row in normalised:
        fills.extend(tracker.observe(row))

    return SessionRecord(
        session_id=session_id,
        question_id=tracker.question_id,
        seed=tracker.seed,
        outcome=tracker.outcome,
        final_price=tracker.final_price,
        fills=fill_frame(fills),
        statements=_frame(tracker.statements, Statement, _STATEMENT_DTYPES),
        orders=_frame(tracker.orders, DecisionOrder, _ORDER_DTYPES),
        agents=_agent_frame(tracker, session_id),
    )


def _agent_frame(tracker: SessionTracker, session_id: str) -> pd.DataFrame:
    records = []
    for agent_id in sorted(tracker.agents):
        state = tracker.agents[agent_id]
        last = state.last_statement
        settled = state.settled or {}
        position = settled.get("position")
        pnl = settled.get("pnl")
        records.append({
            "session": session_id,
            "agent": agent_id,
            "kind": state.kind,
            "starting_cash": state.starting_cash,
            "static": state.static,
            "stated": state.stated,
            "reference_price": None if last is None else last.reference_price,
            "final_position": int(position) if isinstance(position, int) else state.position,
            "pnl": int(pnl) if isinstance(pnl, int) else None,
            "fills": state.fills,
            "statements": sum(1 for s in tracker.statements if s.agent == agent_id),
        })
    frame = pd.DataFrame(records, columns=list(AGENT_COLUMNS))
    return frame.astype({"starting_cash": "Int64", "static": "float64", "stated": "float64",
                         "reference_price": "float64", "final_position": "int64",
                         "pnl": "Int64", "fills": "int64", "statements": "int64"})


def _frame(items: Iterable[object], cls: type, dtypes: dict[str, str]) -> pd.DataFrame:
    columns = list(cls.__dataclass_fields__)
    values = attrgetter(*columns)
    frame = pd.DataFrame([values(item) for item in items], columns=columns)
    return frame.astype(dtypes)


def _default_session_id(rows: list[Row]) -> str:
    for row in rows:
        if row.type == "session_start":
            return f"{row.payload.get('question_id')}:seed{row.payload.get('seed')}"
    raise ValueError("the record has no session_start row, so it cannot name the session: "
                     "pass session_id")
