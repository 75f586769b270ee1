"""The oracle's entry points: analyse one session or a tournament of sessions.

`analyze_tournament` reads every session's record, builds the observation tables, and
pools them four ways: per agent and session, per session, per agent id over sessions,
and per agent kind over sessions. It adds calibration against outcomes and the
decision-theoretic tests. Every interval comes from the one generator built from
`rng`, so the same input and seed give the same report.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from market.oracle.bootstrap import DEFAULT_LEVEL, DEFAULT_REPLICATES, as_generator
from market.oracle.calibration import CALIBRATION_COLUMNS, reliability_bins, score_forecasts
from market.oracle.decision_tests import (
    DEFAULT_BINS,
    DEFAULT_FOLDS,
    monotonicity_bins,
    monotonicity_test,
    sufficiency_test,
)
from market.oracle.fills import DEFAULT_EPSILON, HIGH_CONFIDENCE, check_epsilon, check_threshold
from market.oracle.impact import taker_order_table
from market.oracle.metrics import agent_session_table
from market.oracle.record import SessionRecord, read_session
from market.oracle.rows import RowsInput
from market.oracle.summary import Observations, summarize

BELIEFS = ("static", "stated")
"""The two belief kinds scored for calibration, besides the market's final price."""


@dataclass(frozen=True)
class OracleReport:
    """Everything the oracle measured over one or more sessions.

    Observation tables: `fills`, `statements`, `taker_orders`, `orders` (decision
    triples with the session's outcome) and `agent_sessions` (one row per agent and
    session, see `market.oracle.metrics`). The summaries with intervals (see
    `market.oracle.summary`) are `agent_session_summary`, `session_summary`, `agents`
    (pooled by agent id) and `kinds` (pooled by agent kind). The last two also carry the
    Brier scores of static and stated beliefs. `calibration` and `reliability` score beliefs against
    outcomes by scope ("all", "kind", "agent"); `decision_tests` and `monotonicity` hold the
    decision-theoretic tests. `parameters` records the settings used.
    """

    parameters: dict[str, object]
    sessions: pd.DataFrame
    fills: pd.DataFrame
    statements: pd.DataFrame
    taker_orders: pd.DataFrame
    orders: pd.DataFrame
    agent_sessions: pd.DataFrame
    agent_session_summary: pd.DataFrame
    session_summary: pd.DataFrame
    agents: pd.DataFrame
    kinds: pd.DataFrame
    calibration: pd.DataFrame
    reliability: pd.DataFrame
    decision_tests: pd.DataFrame
    monotonicity: pd.DataFrame
    records: list[SessionRecord] = field(repr=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return every table by name, in the order a report writes them."""
        return {name: getattr(self, name) for name in TABLE_NAMES}


TABLE_NAMES = ("agents", "kinds", "session_summary", "agent_session_summary", "sessions",
               "calibration", "reliability", "decision_tests", "monotonicity",
               "agent_sessions", "fills", "statements", "taker_orders", "orders")


def analyze_session(rows: RowsInput, session_id: str | None = None,
                    epsilon: float = DEFAULT_EPSILON, high_confidence: float = HIGH_CONFIDENCE,
                    rng: np.random.Generator | int = 0,
                    replicates: int = DEFAULT_REPLICATES, level: float = DEFAULT_LEVEL,
                    bins: int = DEFAULT_BINS, folds: int = DEFAULT_FOLDS) -> OracleReport:
    """Analyse one session's record (a `Store.events` frame or a list of event rows).

    The options are those of `analyze_tournament`.
    """
    record = read_session(rows, session_id, epsilon, high_confidence)
    return analyze_tournament([record], epsilon, high_confidence, rng, replicates, level, bins,
                              folds)


def analyze_tournament(sessions: Mapping[str, RowsInput] | Iterable[SessionRecord],
                       epsilon: float = DEFAULT_EPSILON,
                       high_confidence: float = HIGH_CONFIDENCE,
                       rng: np.random.Generator | int = 0,
                       replicates: int = DEFAULT_REPLICATES, level: float = DEFAULT_LEVEL,
                       bins: int = DEFAULT_BINS, folds: int = DEFAULT_FOLDS) -> OracleReport:
    """Analyse several sessions: a mapping of session id to record, or `SessionRecord`s.

    `epsilon` and `high_confidence` set the fill flags, `rng` (a Generator or a seed)
    drives every bootstrap and the fold split, `replicates` and `level` set the
    intervals, `bins` the monotonicity bins and `folds` the cross-validation folds.
    """
    epsilon = check_epsilon(epsilon)
    high_confidence = check_threshold(high_confidence)
    generator = as_generator(rng)
    records = _records(sessions, epsilon, high_confidence)
    if not records:
        raise ValueError("no sessions to analyse: pass at least one session's record")
    ids = [record.session_id for record in records]
    repeated = sorted({session for session in ids if ids.count(session) > 1})
    if repeated:
        raise ValueError(f"session id(s) {', '.join(repeated)} appear more than once: give "
                         "each session a distinct id")

    # Observation tables over all sessions.
    orders_by_session = [taker_order_table(record.fills) for record in records]
    agent_tables = [agent_session_table(record, orders, epsilon)
                    for record, orders in zip(records, orders_by_session, strict=True)]
    observations = Observations(
        fills=_concat([record.fills for record in records]),
        statements=_concat([record.statements for record in records]),
        taker_orders=_concat(orders_by_session),
        agent_sessions=_concat(agent_tables),
    )
    session_table = _session_table(records)
    triples = _triples(records)
    forecasts = _forecasts(observations.agent_sessions, session_table)

    # Summaries with intervals.
    settings = {"rng": generator, "replicates": replicates, "level": level}
    agent_session_summary = summarize(observations, ["session", "agent"], clustered=False,
                                      **settings)
    session_summary = summarize(observations, ["session"], clustered=False, **settings)
    session_summary = session_summary.drop(columns="kind").merge(
        session_table, on="session", how="left")
    agents = summarize(observations, ["agent"], clustered=True, **settings)
    kinds = summarize(observations, ["kind"], clustered=True, **settings)

    calibration = _calibration(forecasts, session_table, **settings)
    agents = _with_brier(agents, calibration, "agent")
    kinds = _with_brier(kinds, calibration, "kind")
    agent_session_summary = _with_single_brier(agent_session_summary, forecasts)

    tests, monotonicity = _decision_tests(triples, generator, replicates, level, bins, folds)
    return OracleReport(
        parameters={"epsilon": epsilon, "high_confidence": high_confidence,
                    "replicates": replicates, "level": level, "bins": bins, "folds": folds,
                    "sessions": len(records)},
        sessions=session_table,
        fills=observations.fills,
        statements=observations.statements,
        taker_orders=observations.taker_orders,
        orders=triples,
        agent_sessions=observations.agent_sessions,
        agent_session_summary=agent_session_summary,
        session_summary=session_summary,
        agents=agents,
        kinds=kinds,
        calibration=calibration,
        reliability=_reliability(forecasts, session_table),
        decision_tests=tests,
        monotonicity=monotonicity,
        records=records,
    )


def _records(sessions: Mapping[str, RowsInput] | Iterable[SessionRecord], epsilon: float,
             high_confidence: float) -> list[SessionRecord]:
    if isinstance(sessions, Mapping):
        return [read_session(rows, session_id, epsilon, high_confidence)
                for session_id, rows in sessions.items()]
    records = list(sessions)
    for record in records:
        if not isinstance(record, SessionRecord):
            raise TypeError(f"{type(record).__name__} is not a SessionRecord: pass a mapping "
                            "of session id to rows, or records from read_session")
    return records


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [frame for frame in frames if len(frame)]
    if not non_empty:
        return frames[0].iloc[:0].copy()
    return pd.concat(non_empty, ignore_index=True)


def _session_table(records: list[SessionRecord]) -> pd.DataFrame:
    rows = [{"session": record.session_id, "question_id": record.question_id,
             "seed": record.seed, "outcome": record.outcome,
             "outcome_value": record.outcome_value, "final_price": record.final_price,
             "market": (record.final_price / 100 if record.final_price is not None
                        else float("nan"))}
            for record in records]
    return pd.DataFrame(rows).astype({"outcome_value": "float64", "final_price": "float64",
                                      "market": "float64"})


def _triples(records: list[SessionRecord]) -> pd.DataFrame:
    frames = []
    for record in records:
        orders = record.orders.copy()
        orders["outcome"] = record.outcome_value
        frames.append(orders)
    triples = _concat(frames)
    triples["gap"] = triples["probability"] - triples["price"] / 100
    return triples


def _forecasts(agent_sessions: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """Return one row per agent-session and belief kind: probability, outcome, market."""
    context = sessions[["session", "outcome_value", "market"]].rename(
        columns={"outcome_value": "outcome"})
    frames = []
    for belief in BELIEFS:
        frame = agent_sessions[["session", "agent", "kind", belief]].rename(
            columns={belief: "probability"})
        frame["belief"] = belief
        frames.append(frame)
    forecasts = pd.concat(frames, ignore_index=True).merge(context, on="session", how="left")
    return forecasts


def _market_forecasts(sessions: pd.DataFrame) -> pd.DataFrame:
    market = sessions[["session", "market", "outcome_value"]].rename(
        columns={"outcome_value": "outcome"})
    market["probability"] = market["market"]
    return market


def _calibration(forecasts: pd.DataFrame, sessions: pd.DataFrame, rng: np.random.Generator,
                 replicates: int, level: float) -> pd.DataFrame:
    rows = []
    for scope, key in (("all", None), ("kind", "kind"), ("agent", "agent")):
        groups = [("all", forecasts)] if key is None else list(forecasts.groupby(key))
        for group, frame in groups:
            for belief in BELIEFS:
                scores = score_forecasts(frame[frame["belief"] == belief], rng, replicates,
                                         level)
                rows.append({"scope": scope, "group": group, **scores, "belief": belief})
    market = score_forecasts(_market_forecasts(sessions), rng, replicates, level)
    rows.append({"scope": "all", "group": "all", **market, "belief": "market"})
    return pd.DataFrame(rows, columns=["scope", "group", *CALIBRATION_COLUMNS])


def _reliability(forecasts: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    frames = []
    sources = [(belief, forecasts[forecasts["belief"] == belief]) for belief in BELIEFS]
    sources.append(("market", _market_forecasts(sessions)))
    for belief, frame in sources:
        usable = frame[frame["probability"].notna() & frame["outcome"].notna()]
        table = reliability_bins(usable["probability"].to_numpy(float),
                                 usable["outcome"].to_numpy(float))
        table.insert(0, "belief", belief)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _with_brier(summary: pd.DataFrame, calibration: pd.DataFrame, scope: str) -> pd.DataFrame:
    scores = calibration[calibration["scope"] == scope]
    for belief in BELIEFS:
        part = scores[scores["belief"] == belief][["group", "brier", "brier_low", "brier_high",
                                                   "n", "brier_skill"]]
        part = part.rename(columns={"group": scope, "brier": f"brier_{belief}",
                                    "brier_low": f"brier_{belief}_low",
                                    "brier_high": f"brier_{belief}_high",
                                    "n": f"brier_{belief}_n",
                                    "brier_skill": f"brier_skill_{belief}"})
        summary = summary.merge(part, on=scope, how="left")
        summary[f"brier_{belief}_n"] = summary[f"brier_{belief}_n"].fillna(0).astype(int)
    return summary


def _with_single_brier(summary: pd.DataFrame, forecasts: pd.DataFrame) -> pd.DataFrame:
    """Add each agent-session's squared error, (p - y)^2, for the static and stated belief."""
    for belief in BELIEFS:
        part = forecasts[forecasts["belief"] == belief].copy()
        part[f"brier_{belief}"] = (part["probability"] - part["outcome"]) ** 2
        summary = summary.merge(part[["session", "agent", f"brier_{belief}"]],
                                on=["session", "agent"], how="left")
        summary[f"brier_{belief}_n"] = summary[f"brier_{belief}"].notna().astype(int)
    return summary


def _decision_tests(triples: pd.DataFrame, rng: np.random.Generator, replicates: int,
                    level: float, bins: int, folds: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    tables = []
    stated = triples[triples["probability"].notna()]
    for scope, key in (("all", None), ("kind", "kind"), ("agent", "agent")):
        groups = [("all", stated)] if key is None else list(stated.groupby(key))
        for group, frame in groups:
            gaps = frame["gap"].to_numpy(float)
            buys = frame["buy"].to_numpy(float)
            monotone = monotonicity_test(gaps, buys, bins)
            sufficiency = sufficiency_test(frame, rng, folds, replicates, level)
            rows.append({
                "scope": scope, "group": group, "n": monotone["n"],
                "sessions": sufficiency["sessions"], "bins": monotone["bins"],
                "violation": monotone["violation"],
                "violating_pairs": monotone["violating_pairs"],
                "max_drop": monotone["max_drop"], "sufficiency_n": sufficiency["n"],
                "folds": sufficiency["folds"], "base_log_loss": sufficiency["base_log_loss"],
                "full_log_loss": sufficiency["full_log_loss"], "gain": sufficiency["gain"],
                "gain_low": sufficiency["gain_low"], "gain_high": sufficiency["gain_high"],
            })
            table = monotonicity_bins(gaps, buys, bins)
            table.insert(0, "group", group)
            table.insert(0, "scope", scope)
            tables.append(table)
    columns = ["scope", "group", "n", "sessions", "bins", "violation", "violating_pairs",
               "max_drop", "sufficiency_n", "folds", "base_log_loss", "full_log_loss", "gain",
               "gain_low", "gain_high"]
    monotonicity = pd.concat([table for table in tables if len(table)] or [tables[0]],
                             ignore_index=True)
    return pd.DataFrame(rows, columns=columns), monotonicity
