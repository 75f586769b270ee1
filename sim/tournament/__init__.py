"""Tournaments: many sessions over questions x lineups x seeds, from a TOML spec.

`load_spec` reads a spec, `run_tournament` runs it into a store on an executor
(`local_executor`, `DaskExecutor`), resuming where an earlier run stopped, and
`tournament_results` / `write_tournament_report` read the leaderboard, the oracle
report and the plots back from the store.
"""

from sim.tournament.driver import TournamentResult, run_tournament
from sim.tournament.executors import (
    DaskExecutor,
    ExecutorError,
    InProcessExecutor,
    SessionExecutor,
    WorkerPoolExecutor,
    local_executor,
)
from sim.tournament.fields import SpecError
from sim.tournament.leaderboard import TournamentResults, leaderboard_text, tournament_results
from sim.tournament.plan import PlannedSession, TournamentPlan, plan_tournament
from sim.tournament.report import write_tournament_report
from sim.tournament.spec import TournamentSpec, load_spec, parse_spec

__all__ = [
    "DaskExecutor",
    "ExecutorError",
    "InProcessExecutor",
    "PlannedSession",
    "SessionExecutor",
    "SpecError",
    "TournamentPlan",
    "TournamentResult",
    "TournamentResults",
    "TournamentSpec",
    "WorkerPoolExecutor",
    "leaderboard_text",
    "load_spec",
    "local_executor",
    "parse_spec",
    "plan_tournament",
    "run_tournament",
    "tournament_results",
    "write_tournament_report",
]
