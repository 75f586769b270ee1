"""Benchmark the session kernel: one simulated trading day of baseline traders, recorded to SQLite.

The lineup follows the scale of ABIDES' rmsc04 configuration (abides-markets,
`abides_markets/configs/rmsc04.py`): 1,000 noise agents, 102 value agents whose
arrival rate lambda_a = 5.7e-12 per nanosecond is one wake-up every 175 s on average,
and market makers that wake every 60 s. Here that becomes:

- one LMSR market maker (`lmsr`) that re-quotes its ladder every 60 s,
- `--noise` noise traders (`noise`), each waking at Poisson times 5 times a day on
  average (a mean gap of horizon / 5, 4,680 s for the 23,400 s day),
- `--informed` informed traders (`informed`), each waking at Poisson times every 175 s
  on average.

Every agent decides with no think time, and its orders reach the book 50 ms after it
wakes. Unlike rmsc04, which stops at 10:00, the session runs the whole 6.5-hour day.

The timed region is one `run_into_store` call: building the agents, running the
session, recording every row to a SQLite store through `Store`, and marking the session
complete. Events are the rows of the record, so the rate is rows / wall seconds. With
`--runs N` the session runs N times, each into a new store, and the fastest run is
reported. Peak memory is the process's maximum resident set size from
`resource.getrusage` (ru_maxrss), which includes the interpreter and the imported
libraries. The CPU time spent in the cyclic garbage collector is measured with
`gc.callbacks`; `--gc-threshold` shows how much of it a larger first threshold saves.

Usage: python bench/bench_session.py [--noise N] [--informed N] [--horizon S] [--seed S]
                                     [--db PATH] [--runs N] [--gc-threshold N] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import logging
import os
import platform
import pstats
import resource
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import cpu_model

from agents.protocol import Question  # noqa: E402
from agents.registry import agent_classes  # noqa: E402
from sim.config import AgentConfig, SessionConfig  # noqa: E402
from sim.runner import run_into_store  # noqa: E402
from sim.session import SessionResult  # noqa: E402
from sim.store import Store  # noqa: E402

TRADING_DAY = 6.5 * 3600.0
"""Seconds from 9:30 to 16:00."""

NOISE_WAKES_PER_DAY = 5
"""Mean number of wake-ups of one noise trader over the horizon."""

INFORMED_INTERVAL = 175.0
"""Mean seconds between wake-ups of an informed trader: 1 / lambda_a of rmsc04."""

MAKER_INTERVAL = 60.0
"""Seconds between the market maker's wake-ups: rmsc04's mm_wake_up_freq."""

LATENCY = 0.05
"""Seconds from an agent's wake-up to its orders reaching the book."""

QUESTION = Question(
    id="bench-day",
    question="Will the benchmark question resolve YES?",
    outcome=1,
    community_probability=0.5,
    news=(("Morning news.", 0.25), ("Midday news.", 0.5), ("Afternoon news.", 0.75)),
)


def build_config(noise: int, informed: int, horizon: float, seed: int) -> SessionConfig:
    """Return the session config: one market maker, then noise, then informed traders."""
    agents = [AgentConfig("maker", "lmsr", params={"liquidity": 20_000.0}, cash=10_000_000,
                          interval=MAKER_INTERVAL, think=0.0, latency=LATENCY)]
    noise_interval = horizon / NOISE_WAKES_PER_DAY
    agents += [AgentConfig(f"noise-{index:04d}", "noise", interval=noise_interval,
                           poisson=True, think=0.0, latency=LATENCY)
               for index in range(noise)]
    agents += [AgentConfig(f"informed-{index:03d}", "informed", interval=INFORMED_INTERVAL,
                           poisson=True, think=0.0, latency=LATENCY)
               for index in range(informed)]
    return SessionConfig(agents=tuple(agents), seed=seed, horizon=horizon)


def run_session(config: SessionConfig, db_path: Path) -> SessionResult:
    with Store(db_path) as store:
        return asyncio.run(run_into_store(QUESTION, config, store))


@dataclass
class Measurement:
    """One timed run. Times in seconds, sizes in bytes."""

    wall: float
    cpu: float
    gc: float
    gc_collections: int
    events: Counter[str]
    """Rows of the record by event type."""
    store_bytes: int


class GcTimer:
    """A `gc.callbacks` entry that adds up the process CPU time of every collection."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start
            self.collections += 1


def timed_run(config: SessionConfig, db_path: Path) -> Measurement:
    """Run the session into a new store at `db_path` and check the store has every row.

    Only counts are kept, so that the record of one run does not slow the collector
    down in the next.
    """
    gc_timer = GcTimer()
    gc.collect()
    gc.callbacks.append(gc_timer)
    try:
        start = time.perf_counter()
        cpu_start = time.process_time()
        result = run_session(config, db_path)
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
    finally:
        gc.callbacks.remove(gc_timer)

    with sqlite3.connect(db_path) as connection:
        stored = connection.execute("SELECT count(*) FROM events WHERE session_id = ?",
                                    (result.session_id,)).fetchone()[0]
    if stored != len(result.rows):
        sys.exit(f"the store holds {stored} events but the record has {len(result.rows)}: "
                 "the numbers are invalid")
    files = [db_path, db_path.with_name(db_path.name + "-wal")]
    store_bytes = sum(path.stat().st_size for path in files if path.exists())
    return Measurement(wall, cpu, gc_timer.seconds, gc_timer.collections,
                       Counter(row.type for row in result.rows), store_bytes)


def profile_summary(config: SessionConfig, top: int) -> str:
    """Run the session again under cProfile into a temporary store and summarise the profile.

    The summary has the internal time grouped by source file, then the `top` functions
    by internal time. A built-in function (a C function such as `isinstance` or
    `executemany`) has no file of its own, so its time is charged to the files of its
    callers, in proportion to the time each caller spent in it.
    """
    with tempfile.TemporaryDirectory() as directory:
        profiler = cProfile.Profile()
        profiler.enable()
        run_session(config, Path(directory) / "profile.db")
        profiler.disable()

    stats = pstats.Stats(profiler)
    entries = stats.stats  # type: ignore[attr-defined]
    by_file: Counter[str] = Counter()
    for (filename, _, _), (_, _, internal, _, callers) in entries.items():
        if filename != "~":
            by_file[_short_path(filename)] += internal
            continue
        for (caller_file, _, _), caller_times in callers.items():
            by_file[_short_path(caller_file)] += caller_times[2]
    total = sum(by_file.values())

    output = io.StringIO()
    output.write(f"internal time by file, built-in calls charged to their callers "
                 f"(total {total:.2f} s under cProfile):\n")
    for filename, seconds in by_file.most_common(16):
        output.write(f"  {seconds:6.2f} s  {100 * seconds / total:5.1f} %  {filename}\n")
    output.write("\n")
    stats.stream = output  # type: ignore[attr-defined]
    stats.strip_dirs().sort_stats(pstats.SortKey.TIME).print_stats(top)
    return output.getvalue()


def _short_path(filename: str) -> str:
    """Return a path relative to site-packages or to the repository, for grouping."""
    marker = "site-packages" + os.sep
    if marker in filename:
        return filename.split(marker, 1)[1]
    root = str(Path(__file__).resolve().parents[1]) + os.sep
    if filename.startswith(root):
        return filename[len(root):]
    if filename.startswith(("~", "<")):
        return "built-in functions called from C"
    return "stdlib " + Path(filename).name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=int, default=1000,
                        help="number of noise traders (default 1,000)")
    parser.add_argument("--informed", type=int, default=100,
                        help="number of informed traders (default 100)")
    parser.add_argument("--horizon", type=float, default=TRADING_DAY,
                        help="simulated seconds in the session (default 23,400, 6.5 hours)")
    parser.add_argument("--seed", type=int, default=1, help="session seed (default 1)")
    parser.add_argument("--db", type=Path, default=None,
                        help="store file to record into; it must not exist yet (default: a "
                             "temporary file, deleted at the end)")
    parser.add_argument("--runs", type=int, default=1,
                        help="number of timed runs, each into a new store; the fastest is "
                             "reported (default 1)")
    parser.add_argument("--gc-threshold", type=int, default=None,
                        help="call gc.set_threshold(N, 20, 100) before the runs (default: "
                             "Python's own thresholds, 700, 10, 10)")
    parser.add_argument("--profile", action="store_true",
                        help="also run the session once more under cProfile and print where "
                             "the time goes")
    args = parser.parse_args()
    if args.noise < 0 or args.informed < 0:
        parser.error("--noise and --informed must be 0 or more")
    if args.horizon <= 0:
        parser.error(f"--horizon {args.horizon} is invalid: use simulated seconds > 0")
    if args.runs < 1:
        parser.error(f"--runs {args.runs} is invalid: use 1 or more")
    if args.gc_threshold is not None and args.gc_threshold < 1:
        parser.error(f"--gc-threshold {args.gc_threshold} is invalid: use 1 or more")
    if args.db is not None and args.runs > 1:
        parser.error("--db records one run: drop --db, or use --runs 1")
    if args.db is not None and args.db.exists():
        parser.error(f"--db {args.db} already exists: pass a new file name, so the timed run "
                     "does not include deleting an earlier run's rows")
    logging.basicConfig(level=logging.WARNING)

    config = build_config(args.noise, args.informed, args.horizon, args.seed)
    agent_classes()  # import the agent modules before timing
    if args.gc_threshold is not None:
        gc.set_threshold(args.gc_threshold, 20, 100)
    rss_before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    runs: list[Measurement] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as directory:
            db_path = args.db if args.db is not None else Path(directory) / "bench.db"
            runs.append(timed_run(config, db_path))
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    best = min(runs, key=lambda run: run.wall)

    counts = best.events
    events = sum(counts.values())
    decisions = counts["decision"]
    rows = [
        ("machine", f"{cpu_model()}, {len(os.sched_getaffinity(0))} CPUs usable"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("agents", f"1 lmsr, {args.noise:,} noise, {args.informed:,} informed "
                   f"(seed {args.seed}, horizon {args.horizon:,.0f} s)"),
        ("runs", f"{args.runs}, fastest reported; all wall times "
                 + ", ".join(f"{run.wall:.2f}" for run in runs) + " s"),
        ("wall time", f"{best.wall:.2f} s"),
        ("CPU time", f"{best.cpu:.2f} s (user + system, this process)"),
        ("  of which cyclic GC", f"{best.gc:.2f} s in {best.gc_collections} collections, "
                                 f"thresholds {gc.get_threshold()}"),
        ("events in the record", f"{events:,}"),
        ("events/s (wall)", f"{events / best.wall:,.0f}"),
        ("events/s (CPU)", f"{events / best.cpu:,.0f}"),
        ("decisions", f"{decisions:,} ({decisions / best.wall:,.0f}/s wall)"),
        ("events by type", ", ".join(f"{name} {count:,}"
                                     for name, count in counts.most_common())),
        ("store size", f"{best.store_bytes / 2**20:.1f} MiB"),
        ("peak RSS before the runs", f"{rss_before_kib / 1024:.0f} MiB"),
        ("peak RSS after the runs", f"{rss_kib / 1024:.0f} MiB"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")

    if args.profile:
        print()
        print(profile_summary(config, top=30))


if __name__ == "__main__":
    main()
