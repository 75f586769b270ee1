"""Belief oracle reports: a terminal table, and CSV, JSON and Markdown files.

`analyze_store` reads finished sessions from a store and runs the oracle on them.
`write_report` writes every table of the result to a directory, and `agent_table` and
`summary_lines` format it for a terminal. Every rate is printed with its 95% (or the
report's level) bootstrap interval and its sample size, never alone. The metrics and
their formulas are defined in docs/oracle.md and in the `market.oracle` docstrings.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from market.oracle import OracleReport, analyze_tournament
from market.oracle.bootstrap import DEFAULT_LEVEL, DEFAULT_REPLICATES
from market.oracle.fills import DEFAULT_EPSILON, HIGH_CONFIDENCE
from sim.store import COMPLETE, Store, StoreError

logger = logging.getLogger(__name__)

MISSING = "-"
"""Printed for a metric with no observation (n = 0), which is never shown as 0."""


# Running the oracle on a store


def analyze_store(store: Store, session_ids: Sequence[str] | None = None,
                  tournament_id: str | None = None, epsilon: float = DEFAULT_EPSILON,
                  high_confidence: float = HIGH_CONFIDENCE, seed: int = 0,
                  replicates: int = DEFAULT_REPLICATES,
                  level: float = DEFAULT_LEVEL) -> OracleReport:
    """Run the oracle on sessions of `store` and return its report.

    Without `session_ids`, every complete session is used (of `tournament_id` only, if
    given). Incomplete and failed sessions are skipped with a warning, because their
    positions never settled. Raises StoreError when no session is left.
    """
    sessions = store.sessions()
    if tournament_id is not None:
        known = set(store.table("tournaments")["id"])
        if tournament_id not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise StoreError(f"tournament {tournament_id!r} not found in {store.path}: stored "
                             f"tournaments are {listed}")
        sessions = sessions[sessions["tournament_id"] == tournament_id]
    if session_ids is not None:
        unknown = sorted(set(session_ids) - set(sessions["id"]))
        if unknown:
            raise StoreError(f"session(s) {', '.join(unknown)} not found in {store.path}: list "
                             "the stored sessions with `beliefbook ui` or the sessions table")
        sessions = sessions[sessions["id"].isin(session_ids)]

    unfinished = sessions[sessions["status"] != COMPLETE]
    for session_id, status in zip(unfinished["id"], unfinished["status"], strict=True):
        logger.warning("oracle: session %s is %s and is left out of the report", session_id,
                       status)
    finished = sessions[sessions["status"] == COMPLETE]
    if finished.empty:
        raise StoreError(f"{store.path} has no complete session to report on: run "
                         "`beliefbook run` first")

    records = {session_id: store.events(session_id) for session_id in finished["id"]}
    logger.info("oracle: analysing %d sessions from %s", len(records), store.path)
    return analyze_tournament(records, epsilon=epsilon, high_confidence=high_confidence,
                              rng=seed, replicates=replicates, level=level)


# Formatting


def format_rate(value: float, low: float, high: float) -> str:
    """Return a rate as a percentage with its interval, e.g. '41.1% [32.9, 49.3]'."""
    if _missing(value):
        return MISSING
    return f"{100 * value:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"


def format_number(value: float, low: float | None = None, high: float | None = None,
                  digits: int = 2, signed: bool = False) -> str:
    """Return a number with its interval when one is given, e.g. '+0.12 [-0.03, 0.25]'."""
    if _missing(value):
        return MISSING
    sign = "+" if signed else ""
    text = f"{value:{sign}.{digits}f}"
    if low is None or high is None or _missing(low):
        return text
    return f"{text} [{low:{sign}.{digits}f}, {high:{sign}.{digits}f}]"


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _with_n(text: str, n: object) -> str:
    return f"{text} n={int(n)}" if text != MISSING else f"{MISSING} n={int(n)}"


def agent_rows(summary: pd.DataFrame, key: str = "agent") -> list[dict[str, str]]:
    """Return the terminal/Markdown cells of a pooled summary, one dict per group.

    `summary` is `OracleReport.agents` (key "agent") or `.kinds` (key "kind"), or the
    agent-session summary of one session (key "agent").
    """
    rows = []
    for item in summary.to_dict("records"):
        cells = {key: str(item[key])}
        if key != "kind":
            cells["kind"] = str(item["kind"])
        rows.append({
            **cells,
            "sessions": str(item["sessions"]),
            "fills": f"{item['fills']} ({item['judged_fills']} judged)",
            "contradiction": _with_n(format_rate(item["contradiction_rate"],
                                                 item["contradiction_rate_low"],
                                                 item["contradiction_rate_high"]),
                                     item["judged_fills"]),
            "by volume": format_rate(item["contradiction_volume_rate"],
                                     item["contradiction_volume_rate_low"],
                                     item["contradiction_volume_rate_high"]),
            "high-confidence": _with_n(format_rate(item["high_confidence_rate"],
                                                   item["high_confidence_rate_low"],
                                                   item["high_confidence_rate_high"]),
                                       item["high_confidence_fills"]),
            "against own": _with_n(format_rate(item["against_own_prediction"],
                                               item["against_own_prediction_low"],
                                               item["against_own_prediction_high"]),
                                   item["stated_agent_sessions"]),
            "expected loss ¢": format_number(item["expected_loss"], item["expected_loss_low"],
                                             item["expected_loss_high"], digits=0),
            "Kelly gap": _with_n(format_number(item["kelly_gap"], item["kelly_gap_low"],
                                               item["kelly_gap_high"], signed=True),
                                 item["kelly_n"]),
            "drift": _with_n(format_number(item["drift_abs"], item["drift_abs_low"],
                                           item["drift_abs_high"]), item["drift_n"]),
            "Brier static": _with_n(format_number(item.get("brier_static", math.nan),
                                                  digits=3), item.get("brier_static_n", 0)),
            "Brier stated": _with_n(format_number(item.get("brier_stated", math.nan),
                                                  digits=3), item.get("brier_stated_n", 0)),
        })
    return rows


def format_table(rows: list[dict[str, str]]) -> str:
    """Return rows of cells as a plain-text table with aligned columns (empty columns dropped)."""
    if not rows:
        return "(no agents)"
    columns = [name for name in rows[0] if any(row[name] for row in rows)]
    widths = {name: max(len(name), *(len(row[name]) for row in rows)) for name in columns}
    lines = ["  ".join(name.ljust(widths[name]) for name in columns).rstrip()]
    lines.append("  ".join("-" * widths[name] for name in columns))
    for row in rows:
        lines.append("  ".join(row[name].ljust(widths[name]) for name in columns).rstrip())
    return "\n".join(lines)


def agent_table(report: OracleReport, by: str = "agent") -> str:
    """Return the per-agent (or per-kind, with by="kind") table of a report for a terminal."""
    if by not in ("agent", "kind"):
        raise ValueError(f"by {by!r} is invalid: use 'agent' or 'kind'")
    summary = report.agents if by == "agent" else report.kinds
    level = report.parameters.get("level", DEFAULT_LEVEL)
    header = (f"belief oracle: {report.parameters.get('sessions')} session(s), epsilon "
              f"{report.parameters.get('epsilon')}, intervals {100 * float(level):.0f}% "
              "bootstrap, '-' = no observation")
    return header + "\n" + format_table(agent_rows(summary, by))


def summary_lines(report: OracleReport, limit: int | None = None) -> list[str]:
    """Return short lines for the end of `beliefbook run`: one per agent, most contradictory first.

    Each line gives the contradiction rate with its interval and n, the high-confidence
    rate, the expected loss and how many sessions ended against the agent's own
    prediction. `limit` keeps only the first lines.
    """
    summary = report.agents.sort_values("contradiction_rate", ascending=False,
                                        na_position="last")
    if limit is not None:
        summary = summary.head(limit)
    lines = [f"belief oracle over {report.parameters.get('sessions')} session(s), "
             f"epsilon {report.parameters.get('epsilon')}:"]
    for item in summary.to_dict("records"):
        name = f"{item['agent']} ({item['kind']})"
        if item["judged_fills"] == 0 and item["stated_agent_sessions"] == 0:
            lines.append(f"  {name}: {item['fills']} fills, stated no belief")
            continue

        contradictions = _with_n(format_rate(item["contradiction_rate"],
                                             item["contradiction_rate_low"],
                                             item["contradiction_rate_high"]),
                                 item["judged_fills"])
        high = _with_n(format_rate(item["high_confidence_rate"],
                                   item["high_confidence_rate_low"],
                                   item["high_confidence_rate_high"]),
                       item["high_confidence_fills"])
        loss = format_number(item["expected_loss"], digits=0)
        stated = item["stated_agent_sessions"]
        against = item["against_own_prediction"]
        against_text = MISSING if _missing(against) else f"{round(against * stated)}/{stated}"
        lines.append(f"  {name}: contradictions {contradictions}; high-confidence {high}; "
                     f"expected loss {loss} cents; against own prediction in {against_text} "
                     "sessions")
    return lines


# Files


def write_report(report: OracleReport, directory: str | Path) -> list[Path]:
    """Write the report to `directory` and return the paths written.

    Files: one CSV per table (see `OracleReport.tables`), `oracle.json` with the
    parameters and the summary tables, and `oracle.md` with the agent, kind, session,
    calibration and decision-test tables.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in report.tables().items():
        path = directory / f"{name}.csv"
        table.to_csv(path, index=False)
        paths.append(path)

    json_path = directory / "oracle.json"
    json_path.write_text(json.dumps(report_json(report), indent=2, allow_nan=False) + "\n",
                         encoding="utf-8")
    paths.append(json_path)

    markdown_path = directory / "oracle.md"
    markdown_path.write_text(report_markdown(report), encoding="utf-8")
    paths.append(markdown_path)
    logger.info("oracle report: wrote %d files to %s", len(paths), directory)
    return paths


JSON_TABLES = ("agents", "kinds", "session_summary", "agent_session_summary", "calibration",
               "reliability", "decision_tests", "monotonicity")


def report_json(report: OracleReport) -> dict[str, object]:
    """Return the parameters and summary tables as JSON-ready data (NaN becomes null)."""
    data: dict[str, object] = {"parameters": _plain(report.parameters)}
    for name in JSON_TABLES:
        table = getattr(report, name)
        data[name] = json.loads(table.to_json(orient="records", double_precision=10))
    return data


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def report_markdown(report: OracleReport) -> str:
    """Return the report as a Markdown page."""
    parameters = report.parameters
    level = 100 * float(parameters.get("level", DEFAULT_LEVEL))
    parts = [
        "# Belief oracle report",
        "",
        f"{parameters.get('sessions')} session(s). A fill is contradictory when its expected "
        f"value under the agent's last stated belief is below -{parameters.get('epsilon')} "
        f"per share; high confidence is |p - 0.5| >= {parameters.get('high_confidence')}. "
        f"Intervals are {level:.0f}% percentile bootstrap intervals with "
        f"{parameters.get('replicates')} replicates; pooled rows resample sessions, then "
        "observations within them. '-' marks a metric with no observation, and n is its "
        "sample size. Definitions: docs/oracle.md.",
        "",
        "## Agents",
        "",
        markdown_table(agent_rows(report.agents, "agent")),
        "",
        "## Agent kinds",
        "",
        markdown_table(agent_rows(report.kinds, "kind")),
        "",
        "## Sessions",
        "",
        markdown_table(_session_rows(report.session_summary)),
        "",
        "## Calibration",
        "",
        "Brier score with its interval, log loss, ECE (10 equal-width bins) and Brier skill "
        "against the market's final price; annulled sessions are left out.",
        "",
        markdown_table(_calibration_rows(report.calibration)),
        "",
        "## Decision tests",
        "",
        "Monotonicity: weighted squared gap between the binned buy rate and its isotonic fit "
        "over p - q, and the count of adjacent bins where the rate falls. Sufficiency: "
        "out-of-sample log-loss gain of adding the action to logit p and logit q, with "
        "sessions as folds (above 0: the action predicts the outcome beyond the belief).",
        "",
        markdown_table(_decision_rows(report.decision_tests)),
        "",
    ]
    return "\n".join(parts)


def markdown_table(rows: list[dict[str, str]]) -> str:
    """Return rows of cells as a Markdown table (pipes in cells escaped)."""
    if not rows:
        return "(none)"
    columns = [name for name in rows[0] if any(row[name] for row in rows)]
    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join(" --- " for _ in columns) + "|"]
    for row in rows:
        cells = (row[name].replace("|", "\\|") for name in columns)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _session_rows(summary: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for item in summary.to_dict("records"):
        rows.append({
            "session": str(item["session"]),
            "question": str(item.get("question_id")),
            "outcome": str(item.get("outcome")),
            "final price": format_number(item.get("final_price", math.nan), digits=0),
            "fills": f"{item['fills']} ({item['judged_fills']} judged)",
            "contradiction": _with_n(format_rate(item["contradiction_rate"],
                                                 item["contradiction_rate_low"],
                                                 item["contradiction_rate_high"]),
                                     item["judged_fills"]),
            "high-confidence": _with_n(format_rate(item["high_confidence_rate"],
                                                   item["high_confidence_rate_low"],
                                                   item["high_confidence_rate_high"]),
                                       item["high_confidence_fills"]),
            "expected loss ¢": format_number(item["expected_loss"], item["expected_loss_low"],
                                             item["expected_loss_high"], digits=0),
        })
    return rows


def _calibration_rows(calibration: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for item in calibration.to_dict("records"):
        rows.append({
            "scope": str(item["scope"]),
            "group": str(item["group"]),
            "belief": str(item["belief"]),
            "n": str(item["n"]),
            "Brier": format_number(item["brier"], item["brier_low"], item["brier_high"],
                                   digits=3),
            "log loss": format_number(item["log_loss"], digits=3),
            "ECE": format_number(item["ece"], digits=3),
            "Brier skill": _with_n(format_number(item["brier_skill"], digits=3, signed=True),
                                   item["skill_n"]),
        })
    return rows


def _decision_rows(tests: pd.DataFrame) -> list[dict[str, str]]:
    rows = []
    for item in tests.to_dict("records"):
        rows.append({
            "scope": str(item["scope"]),
            "group": str(item["group"]),
            "triples": str(item["n"]),
            "sessions": str(item["sessions"]),
            "violation": format_number(item["violation"], digits=4),
            "falling pairs": f"{item['violating_pairs']} of {max(int(item['bins']) - 1, 0)}",
            "log-loss gain": format_number(item["gain"], item["gain_low"], item["gain_high"],
                                           digits=4, signed=True),
        })
    return rows
