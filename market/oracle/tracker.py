"""Replay of a session's record, row by row, keeping what the oracle measures.

`SessionTracker` is the single place where rows become fills, statements and decision
orders. The batch tables (`read_session`) and the live oracle (`LiveOracle`) both run
it, so the two can never disagree on a fill.

State carried from row to row, per agent:

- the static belief (`static_belief` rows) and the stated belief in force: the last
  non-None `probability` of its `decision` rows. A decision with no probability leaves
  the earlier one in force. A decision row precedes the trades of its orders, so those
  trades are judged by the belief stated with them.
- the signed YES position, from its fills.
- the revealed-belief interval: every buy of YES at q reveals p >= q / 100 and every
  sell reveals p <= q / 100, so after some fills the agent's belief should lie in
  [max buy price, min sell price] / 100.
- the market's reference price: the last trade price in cents, else the last known mid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from market.oracle.fills import (
    BUY,
    DEFAULT_EPSILON,
    HIGH_CONFIDENCE,
    MAKER,
    SELL,
    TAKER,
    TOLERANCE,
    Fill,
    check_epsilon,
    check_threshold,
    expected_value,
    is_contradictory,
    is_high_confidence,
)
from market.oracle.rows import Row, to_row

UNKNOWN_KIND = "unknown"
"""Kind of an agent that trades but is missing from the `session_start` row."""


@dataclass(frozen=True, slots=True)
class Statement:
    """A probability stated with a decision, checked against the fills made before it.

    `revealed_lower` and `revealed_upper` are max buy price / 100 and min sell price / 100
    over the agent's fills before this row (None while it has no fill on that side).
    `outside` is True when the statement is below lower - epsilon or above
    upper + epsilon, which happens exactly when it makes one of those earlier fills
    contradictory. It is None before the agent's first fill. `revealed_empty` is True
    when lower - upper > 2 epsilon, so that no single belief keeps every earlier fill
    non-contradictory. `reference_price` is the last trade price in cents at this row,
    else the mid, else None.
    """

    session: str
    seq: int
    t: float
    agent: str
    kind: str
    probability: float
    static: float | None
    drift: float | None
    reference_price: float | None
    fills_before: int
    revealed_lower: float | None
    revealed_upper: float | None
    revealed_empty: bool
    outside: bool | None


@dataclass(frozen=True, slots=True)
class DecisionOrder:
    """One order of a decision, as a (belief, price, action) triple on the YES book.

    A NO order becomes its YES equivalent: buying NO at q is selling YES at 100 - q.
    `price` is the order's YES limit price in cents, or the reference price when the
    order named none (`price_source` records which). `probability` is the stated belief
    in force after the decision, or None if the agent never stated one.
    """

    session: str
    seq: int
    t: float
    agent: str
    kind: str
    probability: float | None
    price: float
    price_source: str
    buy: bool
    quantity: int
    order_kind: str


@dataclass
class AgentState:
    """The state of one agent at the current row."""

    kind: str = UNKNOWN_KIND
    starting_cash: int | None = None
    static: float | None = None
    stated: float | None = None
    last_statement: Statement | None = None
    position: int = 0
    fills: int = 0
    max_buy: int | None = None
    min_sell: int | None = None
    settled: Mapping[str, Any] | None = None


class SessionTracker:
    """Replays one session's rows in seq order; `observe` returns the fills each row makes.

    Statements and decision orders are kept in `statements` and `orders` (and each
    agent's `last_statement` is set) unless `tables` is False. The live oracle turns them
    off because it needs only the fills. Rows of unknown types, including `contradiction`
    rows that a kernel records from the live oracle, are ignored.
    """

    def __init__(self, session_id: str, epsilon: float = DEFAULT_EPSILON,
                 high_confidence: float = HIGH_CONFIDENCE, tables: bool = True) -> None:
        self.session_id = session_id
        self.epsilon = check_epsilon(epsilon)
        self.high_confidence = check_threshold(high_confidence)
        self.tables = tables
        self.agents: dict[str, AgentState] = {}
        self.statements: list[Statement] = []
        self.orders: list[DecisionOrder] = []
        self.question_id: str | None = None
        self.seed: int | None = None
        self.outcome: str | None = None
        self.final_price: float | None = None
        self.last_trade_price: int | None = None
        self.mid: float | None = None
        self._last_seq: int | None = None

    def agent(self, agent_id: str) -> AgentState:
        """Return the state of `agent_id`, creating it on first sight."""
        state = self.agents.get(agent_id)
        if state is None:
            state = self.agents[agent_id] = AgentState()
        return state

    @property
    def reference_price(self) -> float | None:
        """The last trade price in cents, else the last known mid, else None."""
        if self.last_trade_price is not None:
            return float(self.last_trade_price)
        return self.mid

    def observe(self, row: Row | Any) -> list[Fill]:
        """Apply one row and return the fills it makes (two per trade, none otherwise).

        Raises ValueError when rows arrive out of seq order.
        """
        row = to_row(row)
        if self._last_seq is not None and row.seq <= self._last_seq:
            raise ValueError(f"event row {row.seq} arrived after row {self._last_seq}: feed "
                             "one session's rows in seq order")
        self._last_seq = row.seq

        payload = row.payload
        handler = _HANDLERS.get(row.type)
        if handler is None:
            return []
        return handler(self, row, payload)

    # Row handlers

    def _session_start(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        self.question_id = _optional_str(payload.get("question_id"))
        seed = payload.get("seed")
        self.seed = int(seed) if isinstance(seed, int | float) else None
        for description in payload.get("agents") or []:
            agent_id = _optional_str(description.get("id"))
            if agent_id is None:
                continue
            state = self.agent(agent_id)
            state.kind = str(description.get("kind") or UNKNOWN_KIND)
            cash = description.get("cash")
            if state.starting_cash is None and isinstance(cash, int):
                state.starting_cash = cash
        return []

    def _account_opened(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        if row.agent_id is not None and isinstance(payload.get("cash"), int):
            self.agent(row.agent_id).starting_cash = payload["cash"]
        return []

    def _static_belief(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        if row.agent_id is not None:
            self.agent(row.agent_id).static = _probability(payload.get("probability"), row)
        return []

    def _decision(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        if row.agent_id is None:
            return []
        state = self.agent(row.agent_id)
        probability = _probability(payload.get("probability"), row)
        if probability is not None:
            if self.tables:
                statement = self._statement(row, state, probability)
                self.statements.append(statement)
                state.last_statement = statement
            state.stated = probability

        if not self.tables:
            return []
        for order in payload.get("orders") or []:
            decision_order = self._decision_order(row, state, order)
            if decision_order is not None:
                self.orders.append(decision_order)
        return []

    def _trade(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        taker_side = payload.get("taker_side")
        if taker_side not in (BUY, SELL):
            raise ValueError(f"trade row {row.seq}: taker_side {taker_side!r} is invalid: "
                             "expected 'buy' or 'sell'")
        missing = [name for name in ("price", "quantity", "maker_id") if payload.get(name) is None]
        if missing or (payload.get("taker_id") is None and row.agent_id is None):
            raise ValueError(f"trade row {row.seq} has no {', '.join(missing) or 'taker_id'}: "
                             "pass trade rows as the session kernel records them")
        price = int(payload["price"])
        quantity = int(payload["quantity"])
        taker_id = str(payload.get("taker_id") or row.agent_id)
        maker_id = str(payload["maker_id"])
        maker_side = SELL if taker_side == BUY else BUY
        mid_before = _optional_float(payload.get("mid_before"))
        mid_after = _optional_float(payload.get("mid_after"))

        fills = [
            self._fill(row, taker_id, TAKER, taker_side, price, quantity,
                       payload.get("taker_order_id"), maker_id, mid_before, mid_after),
            self._fill(row, maker_id, MAKER, maker_side, price, quantity,
                       payload.get("maker_order_id"), taker_id, mid_before, mid_after),
        ]
        self.last_trade_price = price
        if mid_after is not None:
            self.mid = mid_after
        return fills

    def _book_snapshot(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        self.mid = _optional_float(payload.get("mid"))
        return []

    def _resolution(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        self.outcome = _optional_str(payload.get("outcome"))
        self.final_price = _optional_float(payload.get("final_price"))
        return []

    def _settled(self, row: Row, payload: Mapping[str, Any]) -> list[Fill]:
        if row.agent_id is not None:
            self.agent(row.agent_id).settled = payload
        if self.outcome is None:
            self.outcome = _optional_str(payload.get("outcome"))
        return []

    # Building records

    def _statement(self, row: Row, state: AgentState, probability: float) -> Statement:
        lower = None if state.max_buy is None else state.max_buy / 100
        upper = None if state.min_sell is None else state.min_sell / 100
        slack = self.epsilon + TOLERANCE

        outside: bool | None = None
        if state.fills > 0:
            below = lower is not None and probability < lower - slack
            above = upper is not None and probability > upper + slack
            outside = below or above
        empty = lower is not None and upper is not None and lower - upper > 2 * slack

        drift = None if state.static is None else probability - state.static
        return Statement(self.session_id, row.seq, row.t, row.agent_id or "", state.kind,
                         probability, state.static, drift, self.reference_price, state.fills,
                         lower, upper, empty, outside)

    def _decision_order(self, row: Row, state: AgentState,
                        order: Mapping[str, Any]) -> DecisionOrder | None:
        side = order.get("side")
        contract = order.get("contract") or "yes"
        if side not in (BUY, SELL) or contract not in ("yes", "no"):
            return None
        price = order.get("price")
        source = "limit"
        if price is None:
            price, source = self.reference_price, "reference"
        if isinstance(price, bool) or not isinstance(price, int | float) or not 0 < price < 100:
            return None
        price = float(price)
        if contract == "no":
            # Buying NO at q is selling YES at 100 - q, and selling NO is buying YES.
            side = SELL if side == BUY else BUY
            if source == "limit":
                price = 100 - price
        return DecisionOrder(self.session_id, row.seq, row.t, row.agent_id or "", state.kind,
                             state.stated, price, source, side == BUY,
                             int(order.get("quantity") or 0), str(order.get("kind") or ""))

    def _fill(self, row: Row, agent_id: str, role: str, direction: str, price: int,
              quantity: int, order_id: object, counterparty: str, mid_before: float | None,
              mid_after: float | None) -> Fill:
        state = self.agent(agent_id)

        stated, static = state.stated, state.static
        ev_stated = None if stated is None else expected_value(direction, price, stated)
        ev_static = None if static is None else expected_value(direction, price, static)
        contradictory = None if ev_stated is None else is_contradictory(ev_stated, self.epsilon)
        contradictory_static = (None if ev_static is None
                                else is_contradictory(ev_static, self.epsilon))
        high = None if stated is None else is_high_confidence(stated, self.high_confidence)

        # The fill's own price joins the revealed interval only after it is judged.
        if direction == BUY:
            state.position += quantity
            state.max_buy = price if state.max_buy is None else max(state.max_buy, price)
        else:
            state.position -= quantity
            state.min_sell = price if state.min_sell is None else min(state.min_sell, price)
        state.fills += 1

        return Fill(self.session_id, row.seq, row.t, agent_id, state.kind, role, direction,
                    price, quantity, None if order_id is None else int(order_id), counterparty,
                    stated, static, ev_stated, ev_static, contradictory, contradictory_static,
                    high, state.position, mid_before, mid_after)


_HANDLERS = {
    "session_start": SessionTracker._session_start,
    "account_opened": SessionTracker._account_opened,
    "static_belief": SessionTracker._static_belief,
    "decision": SessionTracker._decision,
    "trade": SessionTracker._trade,
    "book_snapshot": SessionTracker._book_snapshot,
    "resolution": SessionTracker._resolution,
    "settled": SessionTracker._settled,
}


def _probability(value: object, row: Row) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{row.type} row {row.seq}: probability {value!r} is invalid: "
                         "expected a number in [0, 1] or null")
    return float(value)


def _optional_float(value: object) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)
