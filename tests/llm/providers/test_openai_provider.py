"""OpenAIProvider and CompatibleProvider against a fake Chat Completions API."""

from __future__ import annotations

import asyncio
import logging
import traceback

import pytest
from fake_http import Reply
from fake_openai import DECISION, TOP_LOGPROBS, completion, error_reply

from agents.llm.base import ChatMessage, CompletionRequest, ProviderError
from agents.llm.parsing import DECISION_SCHEMA, parse_decision
from agents.llm.providers import create_provider
from agents.llm.providers.openai_provider import NO_KEY
from agents.llm.providers.strict_schema import strict_schema

DECISION_REQUEST = CompletionRequest(
    messages=(ChatMessage("system", "You trade."), ChatMessage("user", "Will it rain?")),
    schema=DECISION_SCHEMA, schema_name="decision", temperature=0.7, max_tokens=300, seed=42)
LOGPROBS_REQUEST = CompletionRequest(
    messages=(ChatMessage("user", "Will it rain? Reply Yes or No."),), temperature=0.0,
    max_tokens=1, top_logprobs=25, seed=7)


def openai_provider(server, timeout: float = 5.0):
    return create_provider("openai", None, f"{server.url}/v1", timeout)


def compatible_provider(server):
    return create_provider("compatible", "served-model", f"{server.url}/v1", 5.0)


def complete(provider, request=DECISION_REQUEST):
    return asyncio.run(provider.complete(request))


def failure(provider, request=DECISION_REQUEST) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        complete(provider, request)
    return caught.value


# OpenAI mode: request shape

def test_openai_asks_strict_json_schema(openai_key, openai_server):
    complete(openai_provider(openai_server))
    response_format = openai_server.requests[0].body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "decision"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["schema"] == strict_schema(DECISION_SCHEMA)


def test_openai_sampling_parameters(openai_key, openai_server):
    complete(openai_provider(openai_server))
    request = openai_server.requests[0]
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "gpt-4.1-mini"
    assert request.body["seed"] == 42
    assert request.body["temperature"] == 0.7
    assert request.body["max_completion_tokens"] == 300
    assert "logprobs" not in request.body


def test_openai_messages_keep_roles(openai_key, openai_server):
    complete(openai_provider(openai_server))
    assert openai_server.requests[0].body["messages"] == [
        {"role": "system", "content": "You trade."},
        {"role": "user", "content": "Will it rain?"}]


def test_openai_carries_the_key(openai_key, openai_server):
    complete(openai_provider(openai_server))
    assert openai_server.requests[0].api_key() == openai_key


def test_openai_logprobs_request(openai_key, openai_server):
    complete(openai_provider(openai_server), LOGPROBS_REQUEST)
    body = openai_server.requests[0].body
    assert body["logprobs"] is True
    assert body["top_logprobs"] == 20


# OpenAI mode: replies

def test_openai_structured_decision(openai_key, openai_server):
    completion_ = complete(openai_provider(openai_server))
    assert completion_.structured == DECISION
    assert parse_decision(completion_.text, completion_.structured).cancel_all is True


def test_openai_usage_and_raw(openai_key, openai_server):
    completion_ = complete(openai_provider(openai_server))
    assert completion_.input_tokens == 90
    assert completion_.output_tokens == 30
    assert completion_.stop_reason == "stop"
    assert completion_.raw["system_fingerprint"] == "fp_fake"


def test_openai_top_logprobs(openai_key, openai_server):
    completion_ = complete(openai_provider(openai_server), LOGPROBS_REQUEST)
    assert completion_.top_logprobs == tuple(TOP_LOGPROBS)


def test_openai_refusal(openai_key, openai_server):
    openai_server.script.append(Reply(body=completion(None, refusal="I can't help with that.")))
    completion_ = complete(openai_provider(openai_server))
    assert completion_.refusal == "I can't help with that."
    assert completion_.structured is None
    assert completion_.text == ""


def test_openai_invalid_json_left_as_text(openai_key, openai_server):
    openai_server.script.append(Reply(body=completion('{"probability_yes": 0.4', "length")))
    completion_ = complete(openai_provider(openai_server))
    assert completion_.structured is None
    assert completion_.stop_reason == "length"


# OpenAI mode: errors

def test_openai_rate_limit(openai_key, openai_server):
    openai_server.script.append(error_reply(429, "requests", "Rate limit reached",
                                            {"retry-after": "3"}))
    error = failure(openai_provider(openai_server))
    assert error.retryable is True
    assert error.status == 429
    assert error.retry_after == 3.0


def test_openai_retry_after_ms(openai_key, openai_server):
    openai_server.script.append(error_reply(429, "requests", "Rate limit reached",
                                            {"retry-after-ms": "1500", "retry-after": "9"}))
    error = failure(openai_provider(openai_server))
    assert error.retry_after == 1.5


def test_openai_server_error(openai_key, openai_server):
    openai_server.script.append(error_reply(500, "server_error", "The server had an error"))
    error = failure(openai_provider(openai_server))
    assert error.retryable is True
    assert error.status == 500
    assert len(openai_server.requests) == 1


def test_openai_bad_request(openai_key, openai_server):
    openai_server.script.append(error_reply(400, "invalid_request_error",
                                            "Invalid schema for response_format"))
    error = failure(openai_provider(openai_server))
    assert error.retryable is False
    assert "Invalid schema for response_format" in str(error)


def test_openai_timeout(openai_key, openai_server):
    openai_server.script.append(Reply(body={}, delay=3.0))
    error = failure(openai_provider(openai_server, timeout=0.3))
    assert error.retryable is True
    assert "timed out" in str(error)


def test_openai_echoed_key_redacted(openai_key, openai_server, caplog):
    caplog.set_level(logging.DEBUG)
    openai_server.script.append(error_reply(401, "invalid_request_error",
                                            "Incorrect API key provided: {api_key}"))
    error = failure(openai_provider(openai_server))
    assert error.status == 401
    assert "[redacted]" in str(error)
    assert openai_key not in str(error)
    assert openai_key not in "".join(traceback.format_exception(error))
    assert openai_key not in caplog.text
    assert any(record.name.startswith("openai") for record in caplog.records)
    assert "OPENAI_API_KEY" in str(error)


# Compatible mode

def test_compatible_asks_json_object(openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    complete(compatible_provider(openai_server))
    body = openai_server.requests[0].body
    assert body["response_format"] == {"type": "json_object", "schema": DECISION_SCHEMA}
    assert body["model"] == "served-model"
    assert body["max_tokens"] == 300
    assert "max_completion_tokens" not in body


def test_compatible_without_key(openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    complete(compatible_provider(openai_server))
    assert openai_server.requests[0].api_key() == NO_KEY


def test_compatible_with_key(openai_key, openai_server):
    complete(compatible_provider(openai_server))
    assert openai_server.requests[0].api_key() == openai_key


def test_compatible_top_logprobs(openai_server, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    completion_ = complete(compatible_provider(openai_server), LOGPROBS_REQUEST)
    assert completion_.top_logprobs == tuple(TOP_LOGPROBS)
