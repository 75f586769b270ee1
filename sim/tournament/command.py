"""The `beliefbook tournament` command, and `python -m sim.tournament` with the same options."""

from __future__ import annotations

import argparse
import logging
import sys

from agents.llm.cache import CacheError
from agents.llm.cost import PriceFileError
from agents.registry import UnknownAgentError
from sim.config import ConfigError
from sim.questions import QuestionFileError
from sim.store import Store, StoreError
from sim.tournament.driver import TournamentResult, run_tournament
from sim.tournament.executors import (
    EXECUTORS,
    DaskExecutor,
    ExecutorError,
    SessionExecutor,
    local_executor,
)
from sim.tournament.leaderboard import leaderboard_text, tournament_results
from sim.tournament.report import write_results
from sim.tournament.spec import load_spec

DEFAULT_DB = "beliefbook.db"
"""The same default store as the other `beliefbook` commands."""


def add_tournament_command(commands: argparse._SubParsersAction) -> None:
    """Register `tournament SPEC [options]` on the `beliefbook` subcommands."""
    parser = commands.add_parser(
        "tournament", help="run a tournament from a TOML spec",
        description="Run one session per question, lineup and seed of a TOML spec (see "
                    "examples/tournament.toml) into one store, then print the leaderboard. "
                    "Rerunning the same spec skips the complete sessions and redoes the "
                    "incomplete and failed ones.")
    add_arguments(parser)
    parser.set_defaults(handler=command_tournament)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="tournament spec file (TOML)")
    parser.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                        help=f"session store file (default: {DEFAULT_DB})")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="where sessions run: 'local' (this machine) or 'dask' (a Dask "
                             "cluster: give --scheduler or --local-cluster); default: local")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="worker processes: local ones, or the LocalCluster's with "
                             "--local-cluster (default: 1, which runs sessions in this "
                             "process)")
    parser.add_argument("--concurrency", type=int, default=1, metavar="N",
                        help="sessions run at once by each worker: on its asyncio loop "
                             "(local) or as its threads (--local-cluster); more than 1 helps "
                             "when sessions wait on LLM calls (default: 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with "
                             "--executor dask)")
    parser.add_argument("--local-cluster", action="store_true",
                        help="start a Dask LocalCluster on 127.0.0.1 for this run (with "
                             "--executor dask)")
    parser.add_argument("--report", metavar="DIR",
                        help="also write the leaderboards, the oracle report and PNG plots "
                             "into DIR")


def command_tournament(args: argparse.Namespace) -> int:
    """Run the tournament of `args.spec`; return 0 when every session is complete, else 1."""
    spec = load_spec(args.spec)
    with make_executor(args) as executor, Store(args.db) as store:
        result = run_tournament(spec, store, executor)
        print(_summary(result, args.db))
        if result.completed or result.skipped:
            results = tournament_results(store, result.tournament_id)
            print()
            print(leaderboard_text(results))
            if args.report:
                paths = write_results(results, args.report)
                print(f"\nwrote {len(paths)} files to {args.report}")
    return 0 if result.status == "complete" else 1


def make_executor(args: argparse.Namespace) -> SessionExecutor:
    """Build the executor the options ask for; raise ConfigError for a bad combination."""
    if args.workers < 1 or args.concurrency < 1:
        raise ConfigError(f"--workers {args.workers} and --concurrency {args.concurrency}: "
                          "use 1 or more for each")
    if args.executor == "local":
        if args.scheduler or args.local_cluster:
            raise ConfigError("--scheduler and --local-cluster need --executor dask")
        return local_executor(args.workers, args.concurrency)
    if bool(args.scheduler) == bool(args.local_cluster):
        raise ConfigError("--executor dask needs exactly one of --scheduler ADDRESS and "
                          "--local-cluster")
    if args.scheduler and (args.workers, args.concurrency) != (1, 1):
        raise ConfigError("--workers and --concurrency size a LocalCluster: the cluster at "
                          "--scheduler has its own workers and threads, so drop them")
    return DaskExecutor(args.scheduler, local_cluster=args.local_cluster, workers=args.workers,
                        concurrency=args.concurrency)


def _summary(result: TournamentResult, db: str) -> str:
    done = len(result.skipped) + len(result.completed)
    lines = [f"tournament {result.tournament_id}: {done} of {len(result.planned)} sessions "
             f"complete ({len(result.skipped)} from earlier runs, {len(result.completed)} run "
             f"now), {len(result.failed)} failed, {len(result.not_started)} not started; "
             f"store {db}"]
    if result.llm_calls:
        lines.append(f"LLM calls: {result.llm_calls}, {result.tokens} tokens, "
                     f"{result.cost:.4f} USD")
    for session_id, error in result.failed.items():
        lines.append(f"  failed {session_id}: {error}")
    if result.failed or result.not_started:
        lines.append("rerun the same command to redo the failed and missing sessions")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run `python -m sim.tournament SPEC [options]`, the same as `beliefbook tournament`."""
    parser = argparse.ArgumentParser(prog="python -m sim.tournament",
                                     description="Run a beliefbook tournament from a TOML spec.")
    parser.add_argument("--log-level", default="warning",
                        choices=["debug", "info", "warning", "error"],
                        help="logging level (default: warning)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return command_tournament(args)
    except (ConfigError, QuestionFileError, StoreError, UnknownAgentError, CacheError,
            PriceFileError, ExecutorError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: complete sessions are kept; rerun the same command to finish the "
              "tournament", file=sys.stderr)
        return 130
