"""Benchmark: LLM decision throughput of the session kernel.

Part 1 runs one session with 16 LLM traders against a loopback OpenAI-compatible
server that answers every request after a fixed delay (500 ms by default). Every
trader wakes at the same simulated times and decides 20 times, so with all decisions
of a round in flight together the ideal wall time is 20 x 0.5 s (plus one round for
the static beliefs). Part 2 measures decisions per second of the in-process local
model (SmolLM2-135M-Instruct through llama-cpp-python).

    python bench/bench_llm.py [--traders 16] [--rounds 20] [--delay 0.5] [--local 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np

from agents.llm.resilience import ConcurrencyLimits
from agents.llm.services import LLMServices
from agents.llm.trader import LLMTrader
from agents.protocol import Observation
from market.types import L2Snapshot
from sim.config import AgentConfig, SessionConfig
from sim.questions import builtin_questions
from sim.session import Session, agent_factory_with

DECISION = json.dumps({"probability_yes": 0.55, "orders": [], "cancel_all": False,
                       "reasoning": "benchmark hold"})
BELIEF = json.dumps({"probability_yes": 0.55, "reasoning": "benchmark"})


class SlowServer(ThreadingHTTPServer):
    """An OpenAI-compatible chat completions endpoint that answers after `delay` seconds."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, delay: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.delay = delay
        self.requests = 0
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: SlowServer

    def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        with self.server.lock:
            self.server.requests += 1
        time.sleep(self.server.delay)
        schema = json.dumps(body.get("response_format", {}))
        content = BELIEF if "cancel_all" not in schema else DECISION
        reply = {
            "id": "bench", "object": "chat.completion", "created": 0, "model": body.get("model"),
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 400, "completion_tokens": 30, "total_tokens": 430},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        return


def run_loopback(traders: int, rounds: int, delay: float) -> dict[str, float]:
    """Run one session of `traders` LLM traders deciding `rounds` times each."""
    server = SlowServer(delay)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    interval = 60.0
    agents = tuple(AgentConfig(f"llm-{i:02d}", "llm",
                               {"provider": "compatible", "model": "bench", "base_url": base_url},
                               interval=interval, start=0.0, think=10.0, latency=0.0)
                   for i in range(traders))
    config = SessionConfig(agents=agents, seed=1, horizon=interval * rounds)
    services = LLMServices(limits=ConcurrencyLimits({"compatible": traders}))
    question = builtin_questions()[0]
    session = Session("bench-llm", question, config, agent_factory_with(services))
    started = time.perf_counter()
    result = asyncio.run(session.run())
    wall = time.perf_counter() - started
    server.shutdown()
    server.server_close()
    decisions = sum(row.type == "decision" for row in result.rows)
    ideal = (rounds + 1) * delay  # one round of static beliefs, then the decisions
    return {"traders": traders, "rounds": rounds, "delay": delay, "decisions": decisions,
            "requests": server.requests, "wall": wall, "ideal": ideal,
            "overhead": wall / ideal - 1.0}


def run_local(decisions: int) -> dict[str, float]:
    """Time `decisions` decisions of one local-model trader on a fixed observation."""
    services = LLMServices()
    trader = LLMTrader("local-bench", np.random.default_rng(0), provider="local",
                       services=services)
    question = builtin_questions()[0]
    observation = Observation(agent_id="local-bench", time=600.0, horizon=3600.0,
                              question=question.public(), news=(), book=L2Snapshot((), ()),
                              recent_trades=(), last_price=None, cash=100_000,
                              free_cash=100_000, position=0, open_orders=())
    asyncio.run(trader.decide(observation))  # loads the model
    started = time.perf_counter()
    valid = 0
    for _ in range(decisions):
        decision = asyncio.run(trader.decide(observation))
        valid += decision.hold_reason is None
    wall = time.perf_counter() - started
    return {"decisions": decisions, "valid": valid, "wall": wall,
            "per_second": decisions / wall, "input_tokens": trader.log.input_tokens,
            "output_tokens": trader.log.output_tokens, "calls": trader.log.calls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traders", type=int, default=16, help="LLM traders (default: 16)")
    parser.add_argument("--rounds", type=int, default=20, help="decisions each (default: 20)")
    parser.add_argument("--delay", type=float, default=0.5,
                        help="server reply delay in seconds (default: 0.5)")
    parser.add_argument("--local", type=int, default=10,
                        help="local-model decisions to time; 0 skips (default: 10)")
    args = parser.parse_args()

    print(f"Python {platform.python_version()}, {platform.machine()}")
    loopback = run_loopback(args.traders, args.rounds, args.delay)
    print(f"loopback: {loopback['traders']} traders x {loopback['rounds']} decisions, "
          f"server delay {loopback['delay']} s: {loopback['decisions']} decisions, "
          f"{loopback['requests']} requests, wall {loopback['wall']:.2f} s, ideal "
          f"{loopback['ideal']:.2f} s, overhead {100 * loopback['overhead']:.1f}%")
    if args.local:
        local = run_local(args.local)
        print(f"local model: {local['decisions']} decisions ({local['valid']} valid, "
              f"{local['calls']} calls incl. repairs) in {local['wall']:.1f} s = "
              f"{local['per_second']:.3f} decisions/s; tokens in {local['input_tokens']}, "
              f"out {local['output_tokens']}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
