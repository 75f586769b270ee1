"""The replay app in a real headless Chromium, served by `streamlit run` on 127.0.0.1.

Chromium is Debian's package (/usr/bin/chromium): the fixture installs it with apt-get
when it is missing and skips with the reason when that fails. Playwright drives it
through `executable_path`, so no browser download is involved.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from sim.store import Store
from ui.launch import HOST, streamlit_command
from ui.loader import load_timeline

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed: pip install "
                                  "playwright (the browser itself comes from apt)")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SERVER_START_SECONDS = 60
CHART = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Return Debian's Chromium, installing it with apt-get when it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    if shutil.which("apt-get") is None:
        pytest.skip(f"{CHROMIUM} is missing and apt-get is not available to install it")
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=900,
                                check=False)
        if result.returncode != 0:
            pytest.skip(f"`{' '.join(command)}` failed with exit code {result.returncode}, "
                        f"so {CHROMIUM} cannot be installed: {result.stderr[-300:]}")
    if not CHROMIUM.exists():
        pytest.skip(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(filled_store: Path, tmp_path_factory: pytest.TempPathFactory):
    """Serve the app on a free 127.0.0.1 port with `beliefbook ui`'s command; stop it after."""
    port = free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(streamlit_command(filled_store, port), stdout=output,
                                   stderr=subprocess.STDOUT)
    url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not serve {url} within {SERVER_START_SECONDS} s "
                            f"(exit code {process.poll()}); its log:\n{log.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def page(chromium: Path, tmp_path: Path):
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(chromium), headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 1500, "height": 1900})
        try:
            yield context.new_page()
        finally:
            context.close()


def test_replay_in_browser(server: str, page, filled_store: Path):
    with Store.open_readonly(filled_store) as store:
        session_id = store.sessions()["id"].iloc[0]
        timeline = load_timeline(store, session_id)
    expect = playwright_api.expect

    page.goto(f"{server}/replay?session={session_id}")
    chart = page.locator(CHART).first
    expect(chart).to_be_visible(timeout=60_000)

    # Home moves the slider to 0, each Arrow key one 1 s step and each Page Up a tenth
    # of the range (120 s): 3 + 5 * 120 = 603 s.
    slider = page.locator(".st-key-replay_t input[type=range]")
    slider.focus()
    for key in ["Home", "ArrowRight", "ArrowRight", "ArrowRight", *["PageUp"] * 5]:
        page.keyboard.press(key)
    trades = timeline.trade_count(603.0)
    expect(page.get_by_role("tab", name=f"Trade tape ({trades})")).to_be_visible(
        timeout=30_000)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_have_count(0, timeout=30_000)

    expect(chart).to_be_visible()
    expect(page.locator('.st-key-book_ladder [data-testid="stDataFrame"]')).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "replay.png"), full_page=True)


def test_play_advances_in_browser(server: str, page, filled_store: Path):
    with Store.open_readonly(filled_store) as store:
        session_id = store.sessions()["id"].iloc[0]
    expect = playwright_api.expect

    page.goto(f"{server}/replay?session={session_id}&t=100")
    slider = page.locator(".st-key-replay_t input[type=range]")
    expect(slider).to_have_attribute("aria-valuetext", "100.0 s", timeout=60_000)

    # Each frame moves the slider on by itself, without any input.
    page.locator(".st-key-replay_play button").click()
    expect(slider).not_to_have_attribute("aria-valuetext", "100.0 s", timeout=10_000)
    page.locator(".st-key-replay_play button").click()
    expect(page.locator(".st-key-replay_play button")).to_contain_text("Play")
    assert page.locator('[data-testid="stException"]').count() == 0
