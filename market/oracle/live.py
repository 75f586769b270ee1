"""The live oracle: contradiction flags the moment a contradictory fill happens.

A session kernel feeds it every row it records, in order. For each trade, `observe`
returns one flag per contradictory fill (taker first, then maker), ready to record as a
`contradiction` event with the flagged agent as its agent id. It runs the same
`SessionTracker` as the batch tables, so its flags are exactly the fills whose
`contradictory` column is True in `read_session(...).fills`.
"""

from __future__ import annotations

from typing import Any

from market.oracle.fills import DEFAULT_EPSILON, HIGH_CONFIDENCE, Fill
from market.oracle.tracker import SessionTracker

CONTRADICTION = "contradiction"
"""Event type for a flag, when a kernel records it."""


class LiveOracle:
    """Flags contradictory fills as rows arrive; one instance per session."""

    def __init__(self, epsilon: float = DEFAULT_EPSILON, high_confidence: float = HIGH_CONFIDENCE,
                 session_id: str = "") -> None:
        self.tracker = SessionTracker(session_id, epsilon, high_confidence, tables=False)

    @property
    def epsilon(self) -> float:
        return self.tracker.epsilon

    def observe(self, row: Any) -> list[dict[str, Any]]:
        """Apply one event row and return a flag for each contradictory fill it makes.

        `row` is an `EventRow`-like object or a mapping with seq, t, type, agent_id and
        payload. Each flag is a JSON-ready dict: agent, seq (of the trade row), t,
        role, direction, price (cents), quantity, belief (the stated probability),
        expected_value (per share, probability units), expected_loss (cents over the
        fill, positive), high_confidence, static, epsilon. Rows of any other type,
        including `contradiction` rows, return [].
        """
        return [self._flag(fill) for fill in self.tracker.observe(row) if fill.contradictory]

    def _flag(self, fill: Fill) -> dict[str, Any]:
        assert fill.ev_stated is not None  # a contradictory fill always has a stated belief
        return {
            "agent": fill.agent,
            "seq": fill.seq,
            "t": fill.t,
            "role": fill.role,
            "direction": fill.direction,
            "price": fill.price,
            "quantity": fill.quantity,
            "belief": fill.stated,
            "expected_value": fill.ev_stated,
            "expected_loss": -100 * fill.ev_stated * fill.quantity,
            "high_confidence": fill.high_confidence,
            "static": fill.static,
            "epsilon": self.tracker.epsilon,
        }
