"""The `beliefbook` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from tqdm import tqdm

from agents.llm.cache import CacheError, CacheMissError, CacheMode, CallCache
from agents.llm.cost import Budget, PriceFileError, PriceTable
from agents.llm.services import LLMServices
from agents.protocol import Question
from agents.registry import UnknownAgentError
from market.oracle.analysis import analyze_tournament
from sim.config import ConfigError, SessionConfig
from sim.questions import QuestionFileError, builtin_questions, load_questions, select_questions
from sim.report import agent_table, analyze_store, summary_lines, write_report
from sim.runner import LINEUPS, lineup_from_specs, run_into_store
from sim.session import SessionResult
from sim.store import Store, StoreError
from sim.tournament.command import add_tournament_command
from sim.tournament.executors import ExecutorError
from sim.tournament.report import write_tournament_report
from ui.launch import add_ui_command

logger = logging.getLogger("beliefbook")

DEFAULT_DB = "beliefbook.db"
DEFAULT_CACHE = "beliefbook-cache.db"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level.upper()),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.handler(args)
    except (ConfigError, QuestionFileError, StoreError, UnknownAgentError, CacheError,
            PriceFileError, ExecutorError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader of stdout closed early (as in `beliefbook questions list | head`).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished sessions are kept; rerun the same command to redo the "
              "incomplete one", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beliefbook",
        description="Order-book prediction markets for LLM agents, measuring the gap between "
                    "the probabilities agents state and the trades they make.")
    parser.add_argument("--log-level", default="warning",
                        choices=["debug", "info", "warning", "error"],
                        help="logging level (default: warning)")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run sessions, one per question",
                              description="Run one market session per question and print a "
                                          "summary table per question.")
    run.add_argument("--questions", metavar="FILE",
                     help="JSON Lines question file (default: the built-in set)")
    run.add_argument("--question-id", metavar="ID", action="append", default=[],
                     help="run this question (repeatable; default: the first --count)")
    run.add_argument("--count", type=int, default=2, metavar="N",
                     help="number of questions when no --question-id is given (default: 2)")
    run.add_argument("--agent", metavar="SPEC", action="append", default=[],
                     help="agent spec 'kind:key=value,...' (repeatable; replaces the lineup). "
                          "Kernel keys: id, cash (cents), interval, start, think, latency "
                          "(simulated seconds), poisson, jitter")
    run.add_argument("--lineup", choices=sorted(LINEUPS), default="default",
                     help="built-in lineup when no --agent is given: 'default' has three "
                          "local-model LLM traders, 'baselines' only rule-based traders")
    run.add_argument("--elicitation", default="verbal",
                     choices=["verbal", "token_probability", "sampling"],
                     help="how static beliefs are elicited before trading (default: verbal)")
    run.add_argument("--cache-mode", default="auto", choices=[mode.value for mode in CacheMode],
                     help="LLM call cache: off, record (always call, store), replay (only "
                          "stored replies; a miss is an error), auto (default: replay when "
                          "stored, else call and store)")
    run.add_argument("--cache", default=DEFAULT_CACHE, metavar="PATH",
                     help=f"LLM call cache file (default: {DEFAULT_CACHE})")
    run.add_argument("--budget", type=float, metavar="USD",
                     help="stop the run cleanly once LLM spending reaches this many USD")
    run.add_argument("--prices", metavar="FILE",
                     help="JSON or TOML table {model: {input: USD, output: USD}} per million "
                          "tokens, overriding the built-in prices")
    run.add_argument("--seed", type=int, default=0, help="session seed (default: 0)")
    run.add_argument("--horizon", type=float, default=3600.0, metavar="SECONDS",
                     help="simulated seconds of trading per session (default: 3600)")
    run.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                     help=f"session store file (default: {DEFAULT_DB})")
    run.add_argument("--open-at-community", action="store_true",
                     help="open the market maker at the question's community probability "
                          "instead of 50 (the prior is information: the choice is recorded)")
    run.set_defaults(handler=command_run)

    report = commands.add_parser(
        "report", help="run the belief oracle on stored sessions",
        description="Compare each agent's stated probabilities with its trades (the "
                    "action-belief gap), print a table and write CSV, JSON and Markdown.")
    report.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                        help=f"session store file (default: {DEFAULT_DB})")
    report.add_argument("--session", metavar="ID", action="append", default=None,
                        help="report on this session (repeatable; default: every complete one)")
    report.add_argument("--tournament", metavar="ID", help="report on one tournament's sessions")
    report.add_argument("--out", default="report", metavar="DIR",
                        help="directory for the CSV, JSON and Markdown files (default: report)")
    report.add_argument("--by", choices=["agent", "kind"], default="agent",
                        help="pool the table by agent id or by agent kind (default: agent)")
    report.add_argument("--epsilon", type=float, default=0.02,
                        help="a fill is contradictory when its expected value under the "
                             "agent's belief is below minus this (probability units; "
                             "default: 0.02)")
    report.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    report.add_argument("--replicates", type=int, default=1000,
                        help="bootstrap replicates per interval (default: 1000)")
    report.set_defaults(handler=command_report)

    add_ui_command(commands)
    add_tournament_command(commands)

    demo = commands.add_parser("demo-book", help="replay a small seeded order stream",
                               description="Replay a seeded stream of orders through one "
                                           "exchange and print the trades and the book.")
    demo.add_argument("--orders", type=int, default=40, help="orders to replay (default: 40)")
    demo.add_argument("--seed", type=int, default=7, help="stream seed (default: 7)")
    demo.set_defaults(handler=command_demo_book)

    export = commands.add_parser("export", help="export the store's tables",
                                 description="Write every table of a store as Parquet.")
    export.add_argument("--db", default=DEFAULT_DB, metavar="PATH",
                        help=f"session store file (default: {DEFAULT_DB})")
    export.add_argument("--parquet", required=True, metavar="DIR",
                        help="directory to write <table>.parquet files into")
    export.set_defaults(handler=command_export)

    questions = commands.add_parser("questions", help="list or check question files")
    questions.add_argument("action", choices=["list", "check"],
                           help="list: print ids and questions; check: validate a file")
    questions.add_argument("--questions", metavar="FILE",
                           help="JSON Lines question file (default: the built-in set)")
    questions.set_defaults(handler=command_questions)
    return parser


def _load(path: str | None) -> list[Question]:
    return load_questions(path) if path else builtin_questions()


def build_services(args: argparse.Namespace) -> LLMServices:
    """Build the LLM call machinery from the run options."""
    mode = CacheMode(args.cache_mode)
    if mode is not CacheMode.OFF and Path(args.cache).is_dir():
        raise ConfigError(f"cache {args.cache} is a directory: pass a file name with --cache")
    cache = None if mode is CacheMode.OFF else CallCache(args.cache, mode)
    prices = PriceTable.from_file(args.prices) if args.prices else PriceTable()
    if args.budget is not None and not args.budget > 0:
        raise ConfigError(f"budget {args.budget} USD is invalid: use a positive amount, or omit "
                          "--budget for no limit")
    budget = Budget(args.budget) if args.budget is not None else None
    return LLMServices(cache=cache, prices=prices, budget=budget)


def command_run(args: argparse.Namespace) -> int:
    questions = select_questions(_load(args.questions), args.question_id, args.count)
    if not args.question_id and len(questions) < args.count:
        print(f"note: --count {args.count} asks for more questions than the "
              f"{len(questions)} available; running {len(questions)}", file=sys.stderr)
    specs = args.agent or list(LINEUPS[args.lineup])
    config = SessionConfig(agents=lineup_from_specs(specs), seed=args.seed,
                           horizon=args.horizon, open_at_community=args.open_at_community,
                           elicitation=args.elicitation)
    services = build_services(args)
    logger.info("running %d sessions with %d agents into %s", len(questions),
                len(config.agents), args.db)
    results: list[SessionResult] = []
    with Store(args.db) as store:
        bar = tqdm(total=len(questions), unit="session", desc="sessions", file=sys.stderr,
                   disable=None)
        for question in questions:
            if services.budget_reached:
                print(f"budget of {args.budget} USD reached: stopping before {question.id}",
                      file=sys.stderr)
                break
            bar.set_postfix_str(question.id)
            try:
                result = asyncio.run(run_into_store(question, config, store,
                                                    services=services))
            except CacheMissError as error:
                bar.close()
                print(f"error: {error}", file=sys.stderr)
                return 2
            results.append(result)
            bar.update(1)
        bar.close()
    totals = services.ledger.totals()
    if totals.calls:
        print(f"LLM calls: {totals.calls} ({totals.cache_hits} from the cache), "
              f"{totals.input_tokens} input and {totals.output_tokens} output tokens, "
              f"{totals.cost:.4f} USD")
    for result in results:
        print(format_result(result))
        print()
    if results:
        report = analyze_tournament({result.session_id: result.rows for result in results},
                                    rng=args.seed)
        print("Action-belief gap (belief oracle; `beliefbook report` writes the full tables):")
        for line in summary_lines(report):
            print(line)
        print()
    total_events = sum(len(result.rows) for result in results)
    logger.info("done: %d sessions, %d events, store %s", len(results), total_events, args.db)
    print(f"{len(results)} sessions, {total_events} events recorded in {args.db}")
    return 0


def format_result(result: SessionResult) -> str:
    """Return a plain-text table of one session: price, outcome, and each agent's figures."""
    question = result.question
    price = ("no trade and no quote" if result.final_price is None
             else f"{result.final_price:g} cents")
    lines = [
        f"{question.id}: {question.question}",
        f"  final price {price}, outcome {result.outcome.value.upper()}",
        f"  {'agent':<14} {'kind':<11} {'static p':>8} {'stated p':>8} {'position':>9} "
        f"{'PnL $':>10}",
    ]
    for agent in result.agents:
        lines.append(f"  {agent.agent_id:<14} {agent.kind:<11} "
                     f"{_probability(agent.static_probability):>8} "
                     f"{_probability(agent.stated_probability):>8} {agent.position:>9} "
                     f"{agent.pnl / 100:>10.2f}")
    return "\n".join(lines)


def _probability(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def command_report(args: argparse.Namespace) -> int:
    with Store.open_readonly(args.db) as store:
        report = analyze_store(store, args.session, args.tournament, epsilon=args.epsilon,
                               seed=args.seed, replicates=args.replicates)
        print(agent_table(report, by=args.by))
        paths = write_report(report, args.out)
        if args.tournament is not None:
            paths += write_tournament_report(store, args.tournament, args.out, seed=args.seed,
                                             replicates=args.replicates)
    print(f"\nwrote {len(paths)} files to {args.out}")
    return 0


def command_demo_book(args: argparse.Namespace) -> int:
    from sim.demo import run_demo

    if args.orders < 1:
        raise ConfigError(f"--orders {args.orders} is invalid: use 1 or more")
    print(run_demo(args.orders, args.seed))
    return 0


def command_export(args: argparse.Namespace) -> int:
    with Store.open_readonly(args.db) as store:
        paths = store.export_parquet(args.parquet)
    for path in paths:
        print(path)
    return 0


def command_questions(args: argparse.Namespace) -> int:
    questions = _load(args.questions)
    if args.action == "check":
        print(f"{args.questions or 'built-in set'}: {len(questions)} valid questions")
        return 0
    for question in questions:
        outcome = {1: "YES", 0: "NO", None: "-"}[question.outcome]
        print(f"{question.id:<24} {outcome:<4} {question.question}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

