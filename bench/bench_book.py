"""Benchmark the exchange: replay a fixed, seeded stream of orders through one Exchange.

The stream mixes about 60% limit orders within 10 ticks of a drifting mid, 25% cancels
of the agent's own open orders, 10% market and IOC orders and 5% replaces, from 100
agents with ample cash. It is generated before timing by a dry run on a separate
exchange, which picks real open order ids for the cancels and replaces. Because the
exchange is deterministic, the timed replay gets the same ids, and the script stops if
any request is rejected.

Usage: python bench/bench_book.py [--operations N] [--seed S] [--profile] [--no-memory]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from machine import cpu_model

from market import Exchange, OrderKind, Side  # noqa: E402

AGENTS = [f"agent{index:03d}" for index in range(100)]
AGENT_CASH = 10**12
"""Cents per agent: enough that no order in the stream is rejected for collateral."""

SUBMIT, CANCEL, REPLACE = 0, 1, 2


def new_exchange() -> Exchange:
    exchange = Exchange()
    for agent_id in AGENTS:
        exchange.open_account(agent_id, AGENT_CASH)
    return exchange


def generate_stream(operations: int, seed: int) -> list[tuple]:
    """Return the operations as (call, arguments) tuples, resolving order ids by a dry run."""
    rng = random.Random(seed)
    exchange = new_exchange()
    stream: list[tuple] = []
    mid = 50
    for _ in range(operations):
        mid = min(80, max(20, mid + rng.choice((-1, 0, 0, 0, 1))))
        roll = rng.random()
        agent_id = rng.choice(AGENTS)
        if roll < 0.30:
            # A cancel or replace needs an agent with open orders, so try up to 20 others.
            for _ in range(20):
                if exchange.accounts[agent_id].orders:
                    break
                agent_id = rng.choice(AGENTS)
        open_orders = exchange.accounts[agent_id].orders

        if roll < 0.25 and open_orders:
            order_id = rng.choice(list(open_orders))
            operation = (CANCEL, (agent_id, order_id))
        elif roll < 0.30 and open_orders:
            order_id = rng.choice(list(open_orders))
            order = open_orders[order_id]
            price = min(99, max(1, order.price + rng.choice((-1, 0, 1))))
            quantity = max(1, order.quantity + rng.choice((-2, -1, 1, 2)))
            operation = (REPLACE, (agent_id, order_id, price, quantity))
        elif 0.30 <= roll < 0.40:
            side = rng.choice((Side.BUY, Side.SELL))
            quantity = rng.randint(1, 20)
            if rng.random() < 0.5:
                operation = (SUBMIT, (agent_id, side, None, quantity, OrderKind.MARKET))
            else:
                price = mid + 2 if side is Side.BUY else mid - 2
                operation = (SUBMIT, (agent_id, side, price, quantity, OrderKind.IOC))
        else:
            # Limit orders rest up to 10 ticks from the mid, and one in twelve crosses it.
            side = rng.choice((Side.BUY, Side.SELL))
            offset = rng.randint(-1, 10)
            price = mid - offset if side is Side.BUY else mid + offset
            operation = (SUBMIT, (agent_id, side, price, rng.randint(1, 20), OrderKind.LIMIT))
        stream.append(operation)
        replay(exchange, [operation])
    return stream


def replay(exchange: Exchange, stream: list[tuple]) -> Counter:
    """Run the stream through the exchange and return the count of events by type."""
    calls = (exchange.submit, exchange.cancel, exchange.replace)
    counts: Counter = Counter()
    for call, arguments in stream:
        for event in calls[call](*arguments):
            counts[event.type] += 1
    return counts


def time_replay(stream: list[tuple]) -> tuple[float, float, Counter]:
    """Replay the stream on a new exchange and return wall seconds, CPU seconds and events.

    CPU time leaves out the time this process waits for a CPU, but not the slowdown from
    sharing a core with other processes, so both vary when the machine is busy.
    """
    exchange = new_exchange()
    start_wall = time.perf_counter()
    start_cpu = time.process_time()
    counts = replay(exchange, stream)
    cpu_seconds = time.process_time() - start_cpu
    wall_seconds = time.perf_counter() - start_wall
    exchange.check_invariants()
    return wall_seconds, cpu_seconds, counts


def time_harness(stream: list[tuple]) -> float:
    """Return the seconds the replay loop takes with calls that do nothing."""
    def no_op(*arguments):
        return ()
    calls = (no_op, no_op, no_op)
    start = time.perf_counter()
    for call, arguments in stream:
        for _ in calls[call](*arguments):
            pass
    return time.perf_counter() - start


def traced_peak(stream: list[tuple]) -> int:
    """Return the peak bytes allocated during a replay and not yet freed.

    Tracing starts after the accounts are opened, so it counts the book, the orders and
    each call's events, and not the stream itself.
    """
    exchange = new_exchange()
    tracemalloc.start()
    replay(exchange, stream)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def profile_summary(stream: list[tuple], top: int) -> str:
    """Replay the stream under cProfile and return the top functions by total time.

    NOTE: pstats keys functions by file, line and name. The `__init__` methods that
    `dataclass` generates for the event classes share one key, so it keeps only one of
    them, and its call total leaves the others out.
    """
    exchange = new_exchange()
    profiler = cProfile.Profile()
    profiler.enable()
    replay(exchange, stream)
    profiler.disable()
    output = io.StringIO()
    stats = pstats.Stats(profiler, stream=output)
    stats.strip_dirs().sort_stats(pstats.SortKey.TIME).print_stats(top)
    return output.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", type=int, default=1_000_000,
                        help="number of operations in the stream (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the stream (default 1)")
    parser.add_argument("--profile", action="store_true",
                        help="also replay under cProfile and print the top functions")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the tracemalloc replay that measures peak memory")
    args = parser.parse_args()

    start = time.perf_counter()
    stream = generate_stream(args.operations, args.seed)
    generate_seconds = time.perf_counter() - start
    generated_rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kinds = Counter(("submit", "cancel", "replace")[call] for call, _ in stream)
    kinds.update(str(arguments[4]) for call, arguments in stream if call == SUBMIT)

    seconds, cpu_seconds, counts = time_replay(stream)
    if counts["rejected"]:
        sys.exit(f"the timed replay rejected {counts['rejected']} requests that the dry run "
                 "accepted: the exchange is not deterministic, so the numbers are invalid")
    harness = time_harness(stream)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak = None if args.no_memory else traced_peak(stream)

    rows = [
        ("machine", f"{cpu_model()}, {len(os.sched_getaffinity(0))} CPUs usable"),
        ("python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("operations", f"{len(stream):,} (seed {args.seed})"),
        ("  limit / market / ioc", f"{kinds['limit']:,} / {kinds['market']:,} / "
                                   f"{kinds['ioc']:,}"),
        ("  cancel / replace", f"{kinds['cancel']:,} / {kinds['replace']:,}"),
        ("stream generation (untimed)", f"{generate_seconds:.1f} s"),
        ("replay time (wall / CPU)", f"{seconds:.2f} s / {cpu_seconds:.2f} s"),
        ("operations/s (wall)", f"{len(stream) / seconds:,.0f}"),
        ("operations/s (CPU time)", f"{len(stream) / cpu_seconds:,.0f}"),
        ("load average (1 min) after the replay", f"{os.getloadavg()[0]:.2f}"),
        ("replay loop with no-op calls", f"{harness:.2f} s"),
        ("trades", f"{counts['trade']:,}"),
        ("events", ", ".join(f"{name} {count:,}" for name, count in sorted(counts.items()))),
        ("peak RSS after generating the stream", f"{generated_rss_kib / 1024:.0f} MiB"),
        ("peak RSS after the timed replay", f"{rss_kib / 1024:.0f} MiB"),
    ]
    if peak is not None:
        rows.append(("peak allocated by the replay (tracemalloc)", f"{peak / 2**20:.1f} MiB"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")

    if args.profile:
        print()
        print(profile_summary(stream, top=20))


if __name__ == "__main__":
    main()
