"""Benchmark tournament throughput: sessions per minute with 1 and 2 local workers.

The tournament is the built-in questions x the baseline lineup x seeds (200 sessions by
default, horizon 3600 simulated seconds), run into a new store for each executor:

    in-process   InProcessExecutor(1): sessions and store writes in one process
    pool-1       WorkerPoolExecutor(1): one worker process, the driver writes
    pool-2       WorkerPoolExecutor(2): two worker processes, the driver writes

The scaling ratio is pool-2 over pool-1. Other timings show what bounds it. The sessions
run alone (in memory, no store, one process), and their outcomes are written alone by
the driver, which is the only writer. Each run also reports the median wall time of one
session inside its worker. Before each round, two processes run the same sessions at
once, which measures how much of two CPUs the machine has free.

Usage: python bench/bench_tournament.py [--sessions N] [--horizon SECONDS] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import cpu_model

from sim.questions import builtin_questions  # noqa: E402
from sim.store import Store  # noqa: E402
from sim.tournament import (  # noqa: E402
    InProcessExecutor,
    SessionExecutor,
    WorkerPoolExecutor,
    parse_spec,
    plan_tournament,
    run_tournament,
)
from sim.tournament.storage import mark_started, write_outcome  # noqa: E402
from sim.tournament.tasks import SessionTask, run_session  # noqa: E402

SPEC = '''
name = "bench"
seeds = {{ start = 0, count = {seeds} }}
[questions]
count = {questions}
[session]
horizon = {horizon}
[lineups.baselines]
builtin = "baselines"
'''


def build_spec(sessions: int, horizon: float):
    questions = len([q for q in builtin_questions() if q.outcome is not None])
    seeds = -(-sessions // questions)
    count = -(-sessions // seeds)
    spec = parse_spec(SPEC.format(seeds=seeds, questions=count, horizon=horizon),
                      source="bench")
    return spec, count * seeds


def time_executor(spec, make_executor, folder: Path, label: str) -> tuple[float, float]:
    """Return the wall seconds of one full run into a new store (executor start included)
    and the median wall seconds of one session as its worker measured it."""
    path = folder / f"{label}.db"
    path.unlink(missing_ok=True)
    started = time.perf_counter()
    with make_executor() as executor, Store(path) as store:
        result = run_tournament(spec, store, executor, progress=False)
        elapsed = time.perf_counter() - started
        durations = [end - start for start, end in
                     store.connection.execute("SELECT started_at, ended_at FROM sessions")]
    if result.status != "complete":
        raise SystemExit(f"{label}: {len(result.failed)} sessions failed: {result.failed}")
    return elapsed, statistics.median(durations)


def time_phases(spec, folder: Path) -> tuple[float, float, int]:
    """Return (seconds computing every session in memory, seconds writing them, events)."""
    plan = plan_tournament(spec)
    started = time.perf_counter()
    outcomes = [asyncio.run(run_session(SessionTask(p.session_id, p.question, p.config)))
                for p in plan.sessions]
    compute = time.perf_counter() - started

    path = folder / "writes.db"
    path.unlink(missing_ok=True)
    with Store(path) as store:
        started = time.perf_counter()
        for planned, outcome in zip(plan.sessions, outcomes, strict=True):
            mark_started(store, planned, plan.tournament_id)
            write_outcome(store, planned, outcome, plan.tournament_id)
        write = time.perf_counter() - started
    return compute, write, sum(len(outcome.events) for outcome in outcomes)


def run_in_memory(tasks: list[SessionTask]) -> float:
    """Return the seconds this process takes to run `tasks` in memory, one at a time."""
    started = time.perf_counter()
    for task in tasks:
        asyncio.run(run_session(task))
    return time.perf_counter() - started


def parallel_capacity(pool: ProcessPoolExecutor, tasks: list[SessionTask]) -> float:
    """Return the throughput of two processes running `tasks` at the same time, relative
    to one process running them alone: 2 on an idle two-CPU machine, less under load.

    It is the ceiling for pool-2 over pool-1 at that moment.
    """
    alone = pool.submit(run_in_memory, tasks).result()
    together = [future.result() for future in
                [pool.submit(run_in_memory, tasks) for _ in range(2)]]
    return 2 * alone / statistics.mean(together)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200, help="sessions (default: 200)")
    parser.add_argument("--horizon", type=float, default=3600.0,
                        help="simulated seconds per session (default: 3600)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per executor; the best and the median are reported "
                             "(default: 3)")
    args = parser.parse_args()

    spec, sessions = build_spec(args.sessions, args.horizon)
    executors: dict[str, Callable[[], SessionExecutor]] = {
        "in-process": lambda: InProcessExecutor(1),
        "pool-1": lambda: WorkerPoolExecutor(1),
        "pool-2": lambda: WorkerPoolExecutor(2),
    }
    print(f"machine: {platform.system()} {platform.machine()}, {cpu_model()}, "
          f"{os.cpu_count()} logical CPUs, Python {platform.python_version()}")
    print(f"tournament: {sessions} sessions of the baseline lineup, horizon "
          f"{args.horizon:g} s, {args.repeat} runs per executor\n")

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-tournament-") as directory:
        folder = Path(directory)
        compute, write, events = time_phases(spec, folder)
        plan = plan_tournament(spec)
        probe = [SessionTask(p.session_id, p.question, p.config) for p in plan.sessions[:30]]
        capacity: list[float] = []
        probes = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"))
        list(probes.map(run_in_memory, [probe[:2]] * 4))  # start and warm up both processes
        times: dict[str, list[float]] = {label: [] for label in executors}
        session_times: dict[str, list[float]] = {label: [] for label in executors}
        # Interleave the executors, so that a burst of load from other processes does
        # not fall on one executor's runs only.
        for _ in range(args.repeat):
            capacity.append(parallel_capacity(probes, probe))
            for label, make in executors.items():
                elapsed, per_session = time_executor(spec, make, folder, label)
                times[label].append(elapsed)
                session_times[label].append(per_session)
        probes.shutdown()

    print("| run | best s | median s | sessions/min (best) | sessions/min (median) | "
          "one session, ms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, runs in times.items():
        best, median = min(runs), statistics.median(runs)
        per_session = 1000 * statistics.median(session_times[label])
        print(f"| {label} | {best:.2f} | {median:.2f} | {60 * sessions / best:.0f} | "
              f"{60 * sessions / median:.0f} | {per_session:.0f} |")
    print(f"| sessions only, in memory, 1 process | {compute:.2f} | | "
          f"{60 * sessions / compute:.0f} | | {1000 * compute / sessions:.0f} |")
    print(f"| driver writes only | {write:.2f} | | {60 * sessions / write:.0f} | | "
          f"{1000 * write / sessions:.0f} |")
    for name, pick in (("best", min), ("median", statistics.median)):
        pool1, pool2, alone = (pick(times[label]) for label in ("pool-1", "pool-2",
                                                                "in-process"))
        print(f"\nscaling ({name} runs): pool-2 / pool-1 {pool1 / pool2:.2f}x, "
              f"pool-2 / in-process {alone / pool2:.2f}x")
    print("throughput of two processes over one, running the same sessions in memory "
          f"before each round: {', '.join(f'{value:.2f}x' for value in capacity)}")
    print(f"events per session: {events / sessions:.0f}; driver write rate "
          f"{events / write:,.0f} events/s")
    load_after = os.getloadavg()
    print(f"1-minute load average: {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          "(other processes on the machine share its CPUs)")


if __name__ == "__main__":
    main()
