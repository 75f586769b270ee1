"""The Anthropic provider: Claude models through the Messages API and the anthropic SDK."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from agents.llm.base import ChatMessage, Completion, CompletionRequest, ProviderError
from agents.llm.providers.credentials import api_key_from_env
from agents.llm.providers.errors import (
    MAX_DETAIL_CHARS,
    connection_error,
    redact,
    status_error,
    timeout_error,
)

if TYPE_CHECKING:
    from anthropic.types import Message

DEFAULT_MODEL = "claude-haiku-4-5"
"""Model used when none is given. Any Messages API model id works: pass `model`."""

KEY_VARIABLE = "ANTHROPIC_API_KEY"

EMPTY_TURN = "(empty reply)"
"""Stands in for an empty assistant turn, because the API rejects empty text blocks."""


class AnthropicProvider:
    """Claude through the Messages API (official `anthropic` SDK, its own retries off).

    System messages go into the `system` parameter, joined by blank lines. With a
    schema, the model is forced to call one tool whose `input_schema` is that schema
    (`tool_choice` of type "tool"). The tool_use block's input becomes
    `Completion.structured` and its JSON `Completion.text`. A reply without a tool_use
    block, or whose input is not a JSON object, gives a Completion with the text there
    is and `structured` None, so the trader sends a repair request. The input is not
    checked against the schema here: the trader's validation does that.

    `temperature` and `seed` are not sent, because the anthropic SDK 2.17 has no
    sampling parameters, so replies are sampled at the model's default. The API returns
    no log-probabilities, so `top_logprobs` is ignored. The API key comes from
    ANTHROPIC_API_KEY only.

    NOTE: a third-party test reports that API version 2026-10-21, which this SDK sends,
    rejects temperature, top_p and top_k with status 400; not checked against the API.
    """

    name = "anthropic"
    supports_logprobs = False

    def __init__(self, model: str | None = None, base_url: str | None = None,
                 timeout: float = 60.0) -> None:
        import anthropic

        api_key = api_key_from_env(KEY_VARIABLE, self.name)
        self.model = model or DEFAULT_MODEL
        self.timeout = timeout
        self._secrets = (api_key,)
        self._client = anthropic.AsyncAnthropic(api_key=api_key, base_url=base_url,
                                                max_retries=0, timeout=timeout)

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    async def complete(self, request: CompletionRequest) -> Completion:
        """Send one Messages API request; raise ProviderError when it fails."""
        import anthropic

        params = request_params(self.model, request)
        try:
            message = await self._client.messages.create(**params)
        except anthropic.APITimeoutError:
            # `from None` everywhere here: the SDK's exception contains the request, with the
            # key in its headers, and its message repeats the server's error body.
            raise timeout_error(self.name, self.timeout) from None
        except anthropic.APIConnectionError:
            raise connection_error(self.name, self.base_url) from None
        except anthropic.APIStatusError as error:
            raise status_error(self.name, error.status_code, error.body,
                               error.response.headers, self._secrets, KEY_VARIABLE) from None
        except anthropic.APIError as error:
            message_text = redact(str(error), self._secrets)[:MAX_DETAIL_CHARS]
            raise ProviderError(f"{self.name} API call failed: {message_text}",
                                retryable=False) from None
        return completion_from_message(message, forced_tool=request.schema is not None)


def request_params(model: str, request: CompletionRequest) -> dict[str, Any]:
    """Return the keyword arguments of `messages.create` for a request."""
    system = "\n\n".join(message.content for message in request.messages
                         if message.role == "system")
    params: dict[str, Any] = {
        "model": model,
        "max_tokens": request.max_tokens,
        "messages": [chat_turn(message) for message in request.messages
                     if message.role != "system"],
    }
    if system:
        params["system"] = system
    if request.schema is not None:
        params["tools"] = [{
            "name": request.schema_name,
            "description": f"Record your {request.schema_name}. Call this tool with the "
                           "answer as its input.",
            "input_schema": request.schema,
        }]
        params["tool_choice"] = {"type": "tool", "name": request.schema_name}
    return params


def chat_turn(message: ChatMessage) -> dict[str, str]:
    if message.role not in ("user", "assistant"):
        raise ValueError(f"message role {message.role!r} is invalid: use system, user or "
                         "assistant")
    content = message.content
    if message.role == "assistant" and not content.strip():
        content = EMPTY_TURN
    return {"role": message.role, "content": content}


def completion_from_message(message: Message, *, forced_tool: bool) -> Completion:
    """Return the Completion for a Messages API reply."""
    texts = [block.text for block in message.content if block.type == "text"]
    tool_inputs = [block.input for block in message.content if block.type == "tool_use"]

    structured: dict[str, object] | None = None
    if forced_tool and tool_inputs and isinstance(tool_inputs[0], dict):
        structured = tool_inputs[0]
        text = json.dumps(structured, ensure_ascii=False)
    elif tool_inputs:
        text = json.dumps(tool_inputs[0], ensure_ascii=False)
    else:
        text = "".join(texts)

    refusal = None
    if message.stop_reason == "refusal":
        explanation = message.stop_details.explanation if message.stop_details else None
        refusal = explanation or text or "the model declined to answer"
        structured = None

    # Total input tokens are the uncached ones plus those written to and read from the
    # prompt cache. The cost ledger prices all of them at the uncached rate.
    usage = message.usage
    input_tokens = (usage.input_tokens + (usage.cache_creation_input_tokens or 0)
                    + (usage.cache_read_input_tokens or 0))
    return Completion(text=text, structured=structured, input_tokens=input_tokens,
                      output_tokens=usage.output_tokens, stop_reason=message.stop_reason,
                      refusal=refusal, raw={"id": message.id, "model": message.model})
