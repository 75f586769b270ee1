"""AnthropicProvider against a fake Messages API: request shape, replies, error mapping."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import traceback

import pytest
from fake_anthropic import DECISION_INPUT, error_reply, text_reply, tool_use_reply
from fake_http import Reply, closed_port_url

from agents.llm.base import ChatMessage, CompletionRequest, ProviderError
from agents.llm.client import LLMClient
from agents.llm.parsing import DECISION_SCHEMA, ReplyError, parse_decision
from agents.llm.providers import create_provider
from agents.llm.resilience import RetryPolicy

SYSTEM = "You trade in a prediction market on one question."
DECISION_REQUEST = CompletionRequest(
    messages=(ChatMessage("system", SYSTEM), ChatMessage("user", "Will it rain? Decide.")),
    schema=DECISION_SCHEMA, schema_name="decision", temperature=0.7, max_tokens=300, seed=11)
PLAIN_REQUEST = CompletionRequest(messages=(ChatMessage("user", "Will it rain?"),),
                                  max_tokens=5)


def provider_for(server, timeout: float = 5.0):
    return create_provider("anthropic", None, server.url, timeout)


def complete(provider, request=DECISION_REQUEST):
    return asyncio.run(provider.complete(request))


def failure(provider, request=DECISION_REQUEST) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        complete(provider, request)
    return caught.value


# Replies

def test_forced_tool_gives_structured(anthropic_key, anthropic_server):
    completion = complete(provider_for(anthropic_server))
    assert completion.structured == DECISION_INPUT
    assert json.loads(completion.text) == DECISION_INPUT
    assert completion.stop_reason == "tool_use"
    assert completion.refusal is None


def test_tool_reply_parses_as_decision(anthropic_key, anthropic_server):
    completion = complete(provider_for(anthropic_server))
    reply = parse_decision(completion.text, completion.structured)
    assert reply.probability_yes == 0.62
    assert reply.orders[0].price == 55


def test_usage_and_raw(anthropic_key, anthropic_server):
    completion = complete(provider_for(anthropic_server))
    assert completion.input_tokens == 120
    assert completion.output_tokens == 40
    assert completion.raw["model"] == "claude-fake-1"
    assert str(completion.raw["id"]).startswith("msg_")


def test_cached_prompt_tokens_count_as_input(anthropic_key, anthropic_server):
    reply = text_reply("Yes")
    reply.body["usage"] = {"input_tokens": 10, "output_tokens": 2,
                           "cache_creation_input_tokens": 100, "cache_read_input_tokens": 1000}
    anthropic_server.script.append(reply)
    completion = complete(provider_for(anthropic_server), PLAIN_REQUEST)
    assert completion.input_tokens == 1110


def test_text_without_schema(anthropic_key, anthropic_server):
    completion = complete(provider_for(anthropic_server), PLAIN_REQUEST)
    assert completion.text == "Yes"
    assert completion.structured is None
    assert completion.top_logprobs == ()


def test_missing_tool_use_gives_text(anthropic_key, anthropic_server):
    anthropic_server.script.append(text_reply('I think {"probability_yes": 0.4}'))
    completion = complete(provider_for(anthropic_server))
    assert completion.structured is None
    assert completion.text == 'I think {"probability_yes": 0.4}'


def test_invalid_tool_input_left_to_validation(anthropic_key, anthropic_server):
    anthropic_server.script.append(tool_use_reply({"probability_yes": 85, "orders": []}))
    completion = complete(provider_for(anthropic_server))
    assert completion.structured == {"probability_yes": 85, "orders": []}
    with pytest.raises(ReplyError):
        parse_decision(completion.text, completion.structured)


def test_non_object_tool_input(anthropic_key, anthropic_server):
    anthropic_server.script.append(tool_use_reply("0.4"))
    completion = complete(provider_for(anthropic_server))
    assert completion.structured is None
    assert completion.text == '"0.4"'


def test_refusal(anthropic_key, anthropic_server):
    anthropic_server.script.append(text_reply(
        "", "refusal", stop_details={"type": "refusal", "category": None,
                                     "explanation": "This request is out of scope."}))
    completion = complete(provider_for(anthropic_server))
    assert completion.refusal == "This request is out of scope."
    assert completion.structured is None
    assert completion.stop_reason == "refusal"


# Request shape

def test_request_forces_the_tool(anthropic_key, anthropic_server):
    complete(provider_for(anthropic_server))
    body = anthropic_server.requests[0].body
    assert body["tool_choice"] == {"type": "tool", "name": "decision"}
    assert [tool["name"] for tool in body["tools"]] == ["decision"]
    assert body["tools"][0]["input_schema"] == DECISION_SCHEMA


def test_request_puts_system_apart(anthropic_key, anthropic_server):
    complete(provider_for(anthropic_server))
    body = anthropic_server.requests[0].body
    assert body["system"] == SYSTEM
    assert body["messages"] == [{"role": "user", "content": "Will it rain? Decide."}]


def test_request_model_and_limits(anthropic_key, anthropic_server):
    provider = create_provider("anthropic", "claude-test-model", anthropic_server.url, 5.0)
    complete(provider)
    request = anthropic_server.requests[0]
    assert request.path == "/v1/messages"
    assert request.body["model"] == "claude-test-model"
    assert request.body["max_tokens"] == 300
    # The API version the SDK sends rejects sampling parameters.
    assert "temperature" not in request.body
    assert "anthropic-version" in request.headers


def test_request_without_schema_has_no_tools(anthropic_key, anthropic_server):
    complete(provider_for(anthropic_server), PLAIN_REQUEST)
    body = anthropic_server.requests[0].body
    assert "tools" not in body
    assert "tool_choice" not in body
    assert "system" not in body


def test_request_carries_the_key(anthropic_key, anthropic_server):
    complete(provider_for(anthropic_server))
    assert anthropic_server.requests[0].api_key() == anthropic_key


def test_empty_assistant_turn_filled(anthropic_key, anthropic_server):
    request = CompletionRequest(messages=(
        ChatMessage("user", "Decide."), ChatMessage("assistant", ""),
        ChatMessage("user", "That reply was invalid. Answer again.")))
    complete(provider_for(anthropic_server), request)
    turns = anthropic_server.requests[0].body["messages"]
    assert turns[1] == {"role": "assistant", "content": "(empty reply)"}


def test_sdk_does_not_retry(anthropic_key, anthropic_server):
    anthropic_server.script.append(error_reply(500, "api_error", "Internal error"))
    failure(provider_for(anthropic_server))
    assert len(anthropic_server.requests) == 1


# Errors

def test_rate_limit_is_retryable(anthropic_key, anthropic_server):
    anthropic_server.script.append(error_reply(429, "rate_limit_error", "Slow down",
                                               {"retry-after": "2"}))
    error = failure(provider_for(anthropic_server))
    assert error.retryable is True
    assert error.status == 429
    assert error.retry_after == 2.0
    assert "rate_limit_error: Slow down" in str(error)


def test_overloaded_is_retryable(anthropic_key, anthropic_server):
    anthropic_server.script.append(error_reply(529, "overloaded_error", "Overloaded"))
    error = failure(provider_for(anthropic_server))
    assert error.retryable is True
    assert error.status == 529
    assert error.retry_after is None


def test_server_error_is_retryable(anthropic_key, anthropic_server):
    anthropic_server.script.append(error_reply(500, "api_error", "Internal error"))
    error = failure(provider_for(anthropic_server))
    assert error.retryable is True
    assert error.status == 500


def test_bad_request_is_final(anthropic_key, anthropic_server):
    anthropic_server.script.append(error_reply(400, "invalid_request_error",
                                               "max_tokens: must be positive"))
    error = failure(provider_for(anthropic_server))
    assert error.retryable is False
    assert error.status == 400
    assert "max_tokens: must be positive" in str(error)


def test_should_retry_header_wins(anthropic_key, anthropic_server):
    anthropic_server.script.append(error_reply(500, "api_error", "Do not retry",
                                               {"x-should-retry": "false"}))
    error = failure(provider_for(anthropic_server))
    assert error.retryable is False


def test_timeout_is_retryable(anthropic_key, anthropic_server):
    anthropic_server.script.append(Reply(body={}, delay=3.0))
    error = failure(provider_for(anthropic_server, timeout=0.3))
    assert error.retryable is True
    assert error.status is None
    assert "timed out after 0.3 s" in str(error)


def test_unreachable_server_is_retryable(anthropic_key):
    error = failure(create_provider("anthropic", None, closed_port_url(), 2.0))
    assert error.retryable is True
    assert "could not be reached" in str(error)


def test_echoed_key_redacted(anthropic_key, anthropic_server, caplog):
    caplog.set_level(logging.DEBUG)
    anthropic_server.script.append(error_reply(401, "authentication_error",
                                               "invalid x-api-key: {api_key}"))
    error = failure(provider_for(anthropic_server))
    assert error.status == 401
    assert "[redacted]" in str(error)
    assert anthropic_key not in str(error)
    assert anthropic_key not in "".join(traceback.format_exception(error))
    assert anthropic_key not in caplog.text
    assert any(record.name.startswith("anthropic") for record in caplog.records)
    assert "ANTHROPIC_API_KEY" in str(error)


def test_client_retries_rate_limit(anthropic_key, anthropic_server, caplog):
    caplog.set_level(logging.DEBUG)
    anthropic_server.script.append(error_reply(429, "rate_limit_error",
                                               "Rate limited for key {api_key}",
                                               {"retry-after": "2"}))
    delays: list[float] = []

    async def fake_sleep(delay: float) -> None:
        delays.append(delay)

    client = LLMClient(provider_for(anthropic_server), policy=RetryPolicy(jitter=0.0),
                       sleep=fake_sleep, rng=random.Random(1))
    result = asyncio.run(client.call(DECISION_REQUEST, agent_id="a1",
                                     purpose="decision at t=60.000"))
    assert result.completion.structured == DECISION_INPUT
    assert delays == [2.0]
    assert [fault["status"] for fault in result.faults] == [429]
    assert len(anthropic_server.requests) == 2
    assert anthropic_key not in caplog.text
    assert anthropic_key not in json.dumps(result.faults)

