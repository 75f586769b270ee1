"""Benchmark the replay page on one long session of about 200,000 events.

The session is a real baseline run, not replicated rows. An LMSR market maker, the
Kelly, informed, momentum and contrarian baselines, and 20 noise traders waking every
10 simulated seconds on average (Poisson) trade over a 29,000 s horizon with seed 1. It
records 199,550 events (about 63,000 accepted orders, 55,000 decisions, 37,000 trades
and 21,000 contradiction flags) and takes about 16 s to run. Its store is kept and
reused when `--db` points at a file that already contains it.

Measured with Streamlit's AppTest, which runs the app's script in this process:

- open: from switching to the replay page with an empty cache to the end of its first
  full run (reading the events from SQLite, indexing them, and drawing every element);
- open, cached: the same with the session already in `st.cache_data`;
- slider move: one rerun after setting the time slider to a random moment. AppTest
  reruns the whole page, while a browser reruns only the fragment under the slider,
  so this is an upper bound of the server's share of a redraw.

With `--browser`, the page is also opened in Debian's headless Chromium through
Playwright against `streamlit run` on 127.0.0.1, each time on a new server so that the
cache starts empty: from a click on "Replay" in the sidebar of the sessions page to
the chart and the book ladder on screen with the app idle, and from a Page Down key
press on the slider to the redrawn page (the first tab's trade count changed, the app
idle and the chart present, polled every 10 ms).

Usage: python bench/bench_ui.py [--db PATH] [--repeats N] [--moves N] [--browser]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402
from machine import cpu_model
from streamlit.testing.v1 import AppTest  # noqa: E402

from sim.config import SessionConfig  # noqa: E402
from sim.questions import builtin_questions  # noqa: E402
from sim.runner import lineup_from_specs, run_into_store  # noqa: E402
from sim.store import COMPLETE, Store  # noqa: E402
from ui.launch import HOST, streamlit_command  # noqa: E402
from ui.loader import load_timeline  # noqa: E402

APP = Path(__file__).resolve().parents[1] / "ui" / "app.py"
LINEUP = [
    "lmsr:id=maker,liquidity=20000,cash=5000000,interval=30,think=0",
    "kelly:id=kelly,interval=60",
    "contrarian:id=contrarian,interval=150",
    "informed:id=informed,interval=90",
    "momentum:id=momentum,interval=120",
    *(f"noise:id=noise-{index},interval=10,poisson=true" for index in range(20)),
]
HORIZON = 29_000.0
SEED = 1
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def build_store(path: Path) -> str:
    """Run the long session into `path` unless it is there already; return its id."""
    with Store(path) as store:
        sessions = store.sessions()
        complete = sessions[sessions["status"] == COMPLETE]
        if len(complete):
            session_id = complete["id"].iloc[0]
            print(f"reusing session {session_id} in {path}")
            return session_id
        config = SessionConfig(agents=lineup_from_specs(LINEUP), seed=SEED, horizon=HORIZON)
        started = time.perf_counter()
        result = asyncio.run(run_into_store(builtin_questions()[0], config, store))
        print(f"ran session {result.session_id}: {len(result.rows):,} events in "
              f"{time.perf_counter() - started:.1f} s")
        return result.session_id


def open_app(db: Path) -> AppTest:
    os.environ["BELIEFBOOK_DB"] = str(db)
    app = AppTest.from_file(str(APP), default_timeout=120)
    app.run()
    return app


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def check(app: AppTest) -> None:
    if app.exception:
        raise SystemExit(f"the page raised: {app.exception[0].value}")


def measure_apptest(db: Path, repeats: int, moves: int, seed: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {"open": [], "open, cached": [], "slider move": []}
    for _ in range(repeats):
        st.cache_data.clear()
        app = open_app(db)
        results["open"].append(timed(lambda app=app: app.switch_page("views/replay.py").run()))
        check(app)
        app = open_app(db)
        results["open, cached"].append(
            timed(lambda app=app: app.switch_page("views/replay.py").run()))
        check(app)

    end = app.slider(key="replay_t").max
    rng = random.Random(seed)
    for _ in range(moves):
        t = round(rng.uniform(0, end), 1)
        results["slider move"].append(
            timed(lambda t=t: app.slider(key="replay_t").set_value(t).run()))
        check(app)
    return results


def measure_load(db: Path, session_id: str, repeats: int) -> list[float]:
    times = []
    with Store.open_readonly(db) as store:
        for _ in range(repeats):
            times.append(timed(lambda: load_timeline(store, session_id)))
    return times


def measure_browser(db: Path, session_id: str, repeats: int, moves: int
                    ) -> dict[str, list[float]]:
    """Time the page in Chromium; each open uses a new server, so the cache starts empty."""
    from playwright.sync_api import expect, sync_playwright

    results: dict[str, list[float]] = {"browser open": [], "browser slider move": []}
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1500, "height": 1900})
        page = context.new_page()
        try:
            for _ in range(repeats):
                with serve(db) as url:
                    # Start on the sessions page, so that the timing covers opening the
                    # replay page from the app's navigation, not the app's first load.
                    page.goto(url)
                    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(
                        timeout=120_000)
                    started = time.perf_counter()
                    page.get_by_test_id("stSidebarNavLink").filter(has_text="Replay").click()
                    page.wait_for_function(OPENED, polling=10, timeout=120_000)
                    results["browser open"].append(time.perf_counter() - started)
                    wait_for_render(page, expect)

                    slider = page.locator(".st-key-replay_t input[type=range]")
                    for _ in range(moves):
                        before = page.get_by_role("tab").first.inner_text()
                        slider.focus()
                        started = time.perf_counter()
                        page.keyboard.press("PageDown")
                        page.wait_for_function(REDRAWN, arg=before, polling=10,
                                               timeout=60_000)
                        results["browser slider move"].append(time.perf_counter() - started)
        finally:
            context.close()
    return results


CHART = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'
"""The drawn price chart, whichever renderer Vega uses."""

OPENED = f"""() => document.querySelector('{CHART}') !== null
    && document.querySelector('.st-key-book_ladder') !== null
    && document.querySelector('[data-testid="stStatusWidget"]') === null"""
"""True once the chart and the book ladder are drawn and the app is idle."""

REDRAWN = f"""(before) => {{
    const tab = document.querySelector('[role="tab"]');
    return tab !== null && tab.innerText !== before
        && document.querySelector('[data-testid="stStatusWidget"]') === null
        && document.querySelector('{CHART}') !== null;
}}"""
"""True once the first tab's label changed, the app is idle and the chart is drawn."""


def wait_for_render(page, expect) -> None:
    expect(page.locator(CHART).first).to_be_visible(timeout=120_000)
    expect(page.locator(".st-key-book_ladder")).to_be_visible()
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=120_000)
    if page.locator('[data-testid="stException"]').count():
        raise SystemExit("the page shows an exception")


class serve:
    """Run `streamlit run` on a free 127.0.0.1 port for the duration of a with block."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def __enter__(self) -> str:
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        self.process = subprocess.Popen(streamlit_command(self.db, port),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    return url
            except OSError:
                time.sleep(0.25)
        self.__exit__()
        raise SystemExit(f"streamlit did not serve {url} within 60 s")

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def summary(name: str, times: list[float]) -> str:
    milliseconds = sorted(1000 * value for value in times)
    p90 = milliseconds[min(len(milliseconds) - 1, int(0.9 * len(milliseconds)))]
    return (f"| {name} | {len(milliseconds)} | {statistics.median(milliseconds):.0f} | "
            f"{p90:.0f} | {milliseconds[0]:.0f} | {milliseconds[-1]:.0f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path,
                        default=Path(tempfile.gettempdir()) / "beliefbook-bench-ui.db",
                        help="store file to build or reuse (default: in the temp directory)")
    parser.add_argument("--repeats", type=int, default=5, help="page opens (default: 5)")
    parser.add_argument("--moves", type=int, default=30, help="slider moves (default: 30)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the slider times")
    parser.add_argument("--browser", action="store_true",
                        help="also time the page in headless Chromium (needs playwright and "
                             "/usr/bin/chromium)")
    args = parser.parse_args()

    session_id = build_store(args.db)
    with Store.open_readonly(args.db) as store:
        events = int(store.sessions().set_index("id").loc[session_id, "events"])
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} before the run")
    print(f"session {session_id}: {events:,} events")

    results = {"load_timeline (no Streamlit)": measure_load(args.db, session_id,
                                                           args.repeats)}
    results.update(measure_apptest(args.db, args.repeats, args.moves, args.seed))
    if args.browser:
        results.update(measure_browser(args.db, session_id, max(1, args.repeats // 2),
                                       max(1, args.moves // 3)))

    print("\n| measurement | n | median ms | p90 ms | min ms | max ms |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, times in results.items():
        print(summary(name, times))
    print(f"load average {os.getloadavg()[0]:.1f} after the run")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
