"""The belief oracle: how often an agent's trades contradict the probability it states.

Input is a session's event record (a `Store.events` DataFrame or a list of `EventRow`s);
output is pandas tables. Like the rest of `market`, the package is pure: no I/O, no
clock, and randomness only from the generator or seed a caller passes.

- `read_session` replays one record into observation tables (fills, statements,
  decision orders, agents); `fills` defines a fill's expected value and flags.
- `analyze_session` / `analyze_tournament` pool those tables per agent and session,
  per session, per agent id and per agent kind, with bootstrap intervals
  (`bootstrap`), and add calibration (`calibration`) and decision-theoretic tests
  (`decision_tests`).
- `LiveOracle` flags contradictory fills while a session runs (`live`).

docs/oracle.md defines every metric with a worked example.
"""

from market.oracle.analysis import OracleReport, analyze_session, analyze_tournament
from market.oracle.bootstrap import Estimate, percentile_interval, resample_sums
from market.oracle.calibration import (
    brier_score,
    brier_skill,
    expected_calibration_error,
    log_loss,
    reliability_bins,
)
from market.oracle.decision_tests import (
    fit_logistic,
    isotonic_fit,
    monotonicity_test,
    predict_logistic,
    sufficiency_test,
)
from market.oracle.fills import (
    DEFAULT_EPSILON,
    HIGH_CONFIDENCE,
    Fill,
    expected_value,
    fill_frame,
    is_contradictory,
    is_high_confidence,
)
from market.oracle.impact import taker_order_table
from market.oracle.kelly import held_fraction, kelly_fraction, kelly_position, marked_wealth
from market.oracle.live import CONTRADICTION, LiveOracle
from market.oracle.metrics import against_own_prediction, agent_session_table
from market.oracle.record import SessionRecord, read_session
from market.oracle.rows import EventRowLike, Row, to_rows
from market.oracle.tracker import DecisionOrder, SessionTracker, Statement

__all__ = [
    "CONTRADICTION", "DEFAULT_EPSILON", "HIGH_CONFIDENCE", "DecisionOrder", "Estimate",
    "EventRowLike", "Fill", "LiveOracle", "OracleReport", "Row", "SessionRecord",
    "SessionTracker", "Statement", "against_own_prediction", "agent_session_table",
    "analyze_session", "analyze_tournament", "brier_score", "brier_skill",
    "expected_calibration_error", "expected_value", "fill_frame", "fit_logistic",
    "held_fraction", "is_contradictory", "is_high_confidence", "isotonic_fit",
    "kelly_fraction", "kelly_position", "log_loss", "marked_wealth", "monotonicity_test",
    "percentile_interval", "predict_logistic", "read_session", "reliability_bins",
    "resample_sums", "sufficiency_test", "taker_order_table", "to_rows",
]
