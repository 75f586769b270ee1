"""Fixtures for provider tests: fake API servers, test keys, and a real llama.cpp server.

Every server listens on 127.0.0.1 only and is stopped at teardown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fake_anthropic import fake_anthropic_server
from fake_http import ScriptedServer, free_port
from fake_openai import fake_openai_server

from agents.llm.providers.local import default_model_path

ANTHROPIC_TEST_KEY = "sk-ant-test-9f3c1d7e5b2a4c68"
OPENAI_TEST_KEY = "sk-test-4e8a2b6c1d9f3e57"

LLAMA_SERVER_ALIAS = "smollm2-135m"
LLAMA_SERVER_START_TIMEOUT = 60.0


@pytest.fixture
def anthropic_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_TEST_KEY)
    return ANTHROPIC_TEST_KEY


@pytest.fixture
def openai_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_TEST_KEY)
    return OPENAI_TEST_KEY


@pytest.fixture
def anthropic_server() -> Iterator[ScriptedServer]:
    with fake_anthropic_server() as server:
        yield server


@pytest.fixture
def openai_server() -> Iterator[ScriptedServer]:
    with fake_openai_server() as server:
        yield server


@dataclass(frozen=True)
class LlamaServer:
    base_url: str
    """The OpenAI-compatible API root, ending in /v1."""
    model: str
    """The model id that the server serves."""


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """Start llama-cpp-python's OpenAI-compatible server on the local model; stop it after."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
               "--model_alias", LLAMA_SERVER_ALIAS, "--host", "127.0.0.1", "--port", str(port),
               "--n_threads", "1", "--n_threads_batch", "1", "--n_ctx", "2048"]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_for_models(base_url, process, log_path)
        yield LlamaServer(base_url, LLAMA_SERVER_ALIAS)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_for_models(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll GET /models until the server lists the model; fail with its log otherwise."""
    deadline = time.monotonic() + LLAMA_SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with code {process.returncode} before it "
                        f"served {base_url}/models; its log ends:\n{log_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                models = json.load(response)
            if any(item.get("id") == LLAMA_SERVER_ALIAS for item in models.get("data", [])):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            pass
        time.sleep(0.2)
    pytest.fail(f"llama_cpp.server did not serve {base_url}/models within "
                f"{LLAMA_SERVER_START_TIMEOUT:g} s; its log ends:\n{log_tail(log_path)}")


def log_tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
