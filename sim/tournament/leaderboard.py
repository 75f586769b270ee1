"""The tournament leaderboard: each agent's (and kind's) figures pooled over its sessions.

Per agent, over the tournament's complete sessions:

    PnL            settlement PnL from the store's agents table, in USD: mean with a 95%
                   percentile bootstrap interval over sessions, total, standard deviation,
                   and the share of sessions with PnL > 0 (win rate)
    Brier          of the static belief (elicited before trading) and of the last stated
                   belief, BS = mean (p - y)^2 over sessions with a belief, with the
                   oracle's bootstrap interval
    contradiction  the oracle's contradiction rate by count and by volume, and among
                   high-confidence beliefs, with intervals and n (judged fills)
    LLM            calls, input and output tokens and USD cost from the llm_calls table

Agents are pooled by id across lineups (as the oracle pools them); `lineups` lists
where each one traded. Rows are sorted by mean PnL, best first.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from market.oracle import OracleReport
from market.oracle.bootstrap import mean_estimate
from sim.report import analyze_store, format_number, format_rate, format_table, markdown_table
from sim.store import COMPLETE, Store
from sim.tournament.fields import SpecError
from sim.tournament.plan import lineup_key
from sim.tournament.spec import parse_spec
from sim.tournament.storage import tournament_row, tournament_sessions

logger = logging.getLogger(__name__)

ORACLE_COLUMNS = (
    "brier_static", "brier_static_low", "brier_static_high", "brier_static_n",
    "brier_stated", "brier_stated_low", "brier_stated_high", "brier_stated_n",
    "contradiction_rate", "contradiction_rate_low", "contradiction_rate_high", "judged_fills",
    "contradiction_volume_rate", "contradiction_volume_rate_low",
    "contradiction_volume_rate_high", "high_confidence_rate", "high_confidence_rate_low",
    "high_confidence_rate_high", "high_confidence_fills", "fills",
)
LLM_COLUMNS = ("llm_calls", "input_tokens", "output_tokens", "llm_cost_usd")


@dataclass(frozen=True)
class TournamentResults:
    """A tournament's figures read back from the store.

    `agents` and `kinds` are the leaderboards. `agent_sessions` has one row per agent and
    complete session (session, lineup, question_id, seed, outcome, agent, kind,
    static, stated, pnl_usd and the LLM columns). `sessions` lists every session of the
    tournament with its status. `report` is the pooled oracle report.
    """

    tournament: dict[str, object]
    sessions: pd.DataFrame
    agent_sessions: pd.DataFrame
    agents: pd.DataFrame
    kinds: pd.DataFrame
    report: OracleReport


def tournament_results(store: Store, tournament_id: str, seed: int = 0,
                       replicates: int = 1000) -> TournamentResults:
    """Read a tournament's sessions, run the oracle on them and build the leaderboards.

    `seed` and `replicates` drive the bootstrap intervals. Raises StoreError when the
    tournament is unknown or has no complete session.
    """
    tournament = tournament_row(store, tournament_id)
    sessions = tournament_sessions(store, tournament_id)
    sessions["lineup"] = _lineups(str(tournament["spec"]), sessions)
    report = analyze_store(store, tournament_id=tournament_id, seed=seed,
                           replicates=replicates)

    complete = sessions[sessions["status"] == COMPLETE]
    agent_sessions = _agent_sessions(store, complete)
    rng = np.random.default_rng(seed)
    agents = _leaderboard(agent_sessions, report.agents, "agent", rng, replicates)
    kinds = _leaderboard(agent_sessions, report.kinds, "kind", rng, replicates)
    return TournamentResults(tournament, sessions.drop(columns="config"), agent_sessions,
                             agents, kinds, report)


def _lineups(spec_text: str, sessions: pd.DataFrame) -> list[str]:
    """Name each session's lineup by matching its agents with the stored spec's lineups."""
    try:
        spec = parse_spec(spec_text, check_files=False)
    except SpecError as error:
        logger.warning("the stored spec cannot be read again (%s): lineups are shown as '?'",
                       error)
        return ["?"] * len(sessions)
    names = {lineup_key(json.loads(json.dumps([asdict(agent) for agent in lineup.agents],
                                              default=str))): lineup.name
             for lineup in spec.lineups}
    return [names.get(lineup_key(config.get("agents")), "?") for config in sessions["config"]]


def _agent_sessions(store: Store, sessions: pd.DataFrame) -> pd.DataFrame:
    ids = list(sessions["id"])
    agents = store.agents()
    agents = agents[agents["session_id"].isin(ids)]
    frame = agents.merge(sessions[["id", "lineup", "question_id", "seed", "outcome"]],
                         left_on="session_id", right_on="id").drop(columns="id")
    frame = frame.rename(columns={"session_id": "session", "agent_id": "agent",
                                  "static_probability": "static",
                                  "stated_probability": "stated"})
    frame["pnl_usd"] = frame["pnl"] / 100

    usage = pd.read_sql_query(
        "SELECT session_id AS session, agent_id AS agent, count(*) AS llm_calls, "
        "sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens, "
        "sum(cost) AS llm_cost_usd FROM llm_calls GROUP BY session_id, agent_id",
        store.connection)
    usage = usage[usage["session"].isin(ids)]
    frame = frame.merge(usage, on=["session", "agent"], how="left")
    for column in LLM_COLUMNS:
        frame[column] = frame[column].fillna(0)
    for column in ("llm_calls", "input_tokens", "output_tokens"):
        frame[column] = frame[column].astype(int)
    columns = ["session", "lineup", "question_id", "seed", "outcome", "agent", "kind",
               "static", "stated", "position", "pnl", "pnl_usd", "decisions", "faults",
               *LLM_COLUMNS]
    return frame[columns].sort_values(["agent", "session"]).reset_index(drop=True)


def _leaderboard(agent_sessions: pd.DataFrame, oracle: pd.DataFrame, key: str,
                 rng: np.random.Generator, replicates: int) -> pd.DataFrame:
    rows = []
    for group, frame in agent_sessions.groupby(key, sort=True):
        pnl = frame["pnl_usd"].to_numpy(float)
        estimate = mean_estimate(pnl, None, rng, replicates)
        row: dict[str, object] = {key: group}
        if key == "agent":
            row["kind"] = ", ".join(sorted(frame["kind"].unique()))
        row.update({
            "lineups": ", ".join(sorted(frame["lineup"].unique())),
            "sessions": int(frame["session"].nunique()),
            "pnl_mean_usd": float(pnl.mean()),
            "pnl_mean_low": estimate.low,
            "pnl_mean_high": estimate.high,
            "pnl_total_usd": float(pnl.sum()),
            "pnl_sd_usd": float(pnl.std(ddof=1)) if len(pnl) > 1 else float("nan"),
            "win_rate": float((pnl > 0).mean()),
        })
        for column in LLM_COLUMNS:
            row[column] = frame[column].sum()
        rows.append(row)
    board = pd.DataFrame(rows)
    if board.empty:
        return board

    available = [column for column in ORACLE_COLUMNS if column in oracle.columns]
    board = board.merge(oracle[[key, *available]], on=key, how="left")
    return board.sort_values("pnl_mean_usd", ascending=False).reset_index(drop=True)


# Formatting


def leaderboard_rows(board: pd.DataFrame, key: str = "agent") -> list[dict[str, str]]:
    """Return the cells of a leaderboard for `format_table` or `markdown_table`."""
    rows = []
    for item in board.to_dict("records"):
        cells = {key: str(item[key])}
        if key == "agent":
            cells["kind"] = str(item["kind"])
        cells.update({
            "sessions": str(item["sessions"]),
            "PnL mean $": format_number(item["pnl_mean_usd"], item["pnl_mean_low"],
                                        item["pnl_mean_high"], signed=True),
            "PnL total $": format_number(item["pnl_total_usd"], signed=True),
            "win rate": f"{100 * item['win_rate']:.0f}%",
            "Brier static": _with_n(format_number(item.get("brier_static"),
                                                  item.get("brier_static_low"),
                                                  item.get("brier_static_high"), digits=3),
                                    item.get("brier_static_n", 0)),
            "Brier stated": _with_n(format_number(item.get("brier_stated"),
                                                  item.get("brier_stated_low"),
                                                  item.get("brier_stated_high"), digits=3),
                                    item.get("brier_stated_n", 0)),
            "contradiction": _with_n(format_rate(item.get("contradiction_rate"),
                                                 item.get("contradiction_rate_low"),
                                                 item.get("contradiction_rate_high")),
                                     item.get("judged_fills", 0)),
            "LLM cost $": f"{item['llm_cost_usd']:.4f}" if item["llm_calls"] else "",
            "LLM tokens": (str(int(item["input_tokens"] + item["output_tokens"]))
                           if item["llm_calls"] else ""),
        })
        rows.append(cells)
    return rows


def leaderboard_text(results: TournamentResults, by: str = "agent") -> str:
    """Return the agent (or kind) leaderboard as a plain-text table."""
    board = results.agents if by == "agent" else results.kinds
    sessions = results.sessions
    complete = int((sessions["status"] == COMPLETE).sum())
    header = (f"tournament {results.tournament['id']}: {complete} of {len(sessions)} sessions "
              "complete; intervals are 95% bootstrap, '-' = no observation")
    return header + "\n" + format_table(leaderboard_rows(board, by))


def leaderboard_markdown(board: pd.DataFrame, key: str = "agent") -> str:
    return markdown_table(leaderboard_rows(board, key))


def _with_n(text: str, n: object) -> str:
    count = 0 if n is None or pd.isna(n) else int(n)
    return f"{text} n={count}"
