"""CompatibleProvider against a real llama-cpp-python server serving SmolLM2-135M on 127.0.0.1."""

from __future__ import annotations

import asyncio

import pytest

from agents.llm.base import ChatMessage, CompletionRequest, ProviderError
from agents.llm.parsing import (
    BELIEF_SCHEMA,
    DECISION_SCHEMA,
    parse_belief,
)
from agents.llm.prompt import belief_messages, decision_messages
from agents.llm.providers import create_provider
from agents.protocol import Observation, Question
from market.types import L2Snapshot

QUESTION = Question(id="q-rain", question="Will it rain in Springfield on 1 March?",
                    background="The forecast gives a 90% chance of heavy rain.")
OBSERVATION = Observation(agent_id="llm-1", time=120.0, horizon=3600.0, question=QUESTION,
                          news=(), book=L2Snapshot((), ()), recent_trades=(), last_price=None,
                          cash=100_000, free_cash=100_000, position=0, open_orders=())
DECISION_REQUEST = CompletionRequest(messages=decision_messages(OBSERVATION),
                                     schema=DECISION_SCHEMA, temperature=0.0, max_tokens=300,
                                     seed=3)
BELIEF_REQUEST = CompletionRequest(messages=belief_messages(QUESTION), schema=BELIEF_SCHEMA,
                                   schema_name="belief", temperature=0.0, max_tokens=200,
                                   seed=3)
YES_NO_REQUEST = CompletionRequest(
    messages=(ChatMessage("system", "You are a careful forecaster."),
              ChatMessage("user", "Will it rain tomorrow? The forecast says 90% chance of "
                                  "heavy rain. Reply with exactly one word, Yes or No.")),
    temperature=0.0, max_tokens=1, top_logprobs=20, seed=1)

# Each test runs the real model on the server; together they take over 20 s.
pytestmark = pytest.mark.slow


@pytest.fixture
def provider(llama_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return create_provider("compatible", llama_server.model, llama_server.base_url, 60.0)


def complete(provider, request):
    return asyncio.run(provider.complete(request))


def test_server_decision_has_schema_shape(provider):
    completion = complete(provider, DECISION_REQUEST)
    assert completion.structured is not None
    assert list(completion.structured) == DECISION_SCHEMA["required"]
    assert completion.input_tokens > 0
    assert completion.output_tokens > 0


def test_server_belief_parses(provider):
    completion = complete(provider, BELIEF_REQUEST)
    belief = parse_belief(completion.text, completion.structured)
    assert 0.0 <= belief.probability_yes <= 1.0


def test_server_token_logprobs(provider):
    completion = complete(provider, YES_NO_REQUEST)
    tokens = [token.strip() for token, _ in completion.top_logprobs]
    assert len(tokens) == 20
    assert "Yes" in tokens
    assert "No" in tokens


def test_server_rejects_json_schema(llama_server, openai_key):
    # The reason "compatible" sends json_object. The server returns status 500, so the
    # error counts as retryable although a retry cannot succeed.
    strict = create_provider("openai", llama_server.model, llama_server.base_url, 60.0)
    with pytest.raises(ProviderError) as caught:
        complete(strict, DECISION_REQUEST)
    assert caught.value.status == 500
    assert "json_object" in str(caught.value)
