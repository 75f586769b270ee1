"""The provider interface: one chat-completion request in, one completion out.

Providers translate a `CompletionRequest` into their SDK's call and the reply into a
`Completion`. They raise `ProviderError` for failures, with `retryable` set for rate
limits (429), overload (529), server errors (5xx) and timeouts, so the retry wrapper
can tell what to try again. A provider never logs or stores its API key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One chat message; `role` is "system", "user" or "assistant"."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """A chat completion request.

    `schema` is a JSON schema the reply must follow: providers enforce it the way their
    API allows (Anthropic forced tool use, OpenAI JSON-schema output, a JSON object with
    the schema on OpenAI-compatible servers, a grammar for the local model).
    `top_logprobs` > 0 asks for the log-probabilities of the first generated token's top
    alternatives (token probability elicitation). `sample_index` tells apart repeated
    samples of the same request; it is part of the cache key.
    """

    messages: tuple[ChatMessage, ...]
    schema: dict[str, object] | None = None
    schema_name: str = "decision"
    temperature: float = 0.7
    max_tokens: int = 400
    top_logprobs: int = 0
    seed: int | None = None
    sample_index: int = 0

    def cache_material(self) -> dict[str, object]:
        """Return every field that changes the reply, as JSON-ready data."""
        return {
            "messages": [[message.role, message.content] for message in self.messages],
            "schema": self.schema,
            "schema_name": self.schema_name,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_logprobs": self.top_logprobs,
            "seed": self.seed,
            "sample_index": self.sample_index,
        }


@dataclass(frozen=True, slots=True)
class Completion:
    """A provider's reply.

    `text` is the raw reply text; for a tool-use reply it is the tool input as JSON.
    `structured` is the parsed structured output when the API returned one (a tool
    input, a parsed JSON-schema reply). `top_logprobs` lists (token, log-probability)
    pairs for the first generated token when they were requested and available.
    `refusal` holds a refusal message when the model declined.
    """

    text: str
    structured: dict[str, object] | None = None
    top_logprobs: tuple[tuple[str, float], ...] = ()
    input_tokens: int = 0
    output_tokens: int = 0
    stop_reason: str | None = None
    refusal: str | None = None
    raw: dict[str, object] = field(default_factory=dict)
    """Provider-specific extras worth keeping (response id, model version)."""

    def to_cache(self) -> dict[str, object]:
        return {"text": self.text, "structured": self.structured,
                "top_logprobs": [list(pair) for pair in self.top_logprobs],
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "stop_reason": self.stop_reason, "refusal": self.refusal, "raw": self.raw}

    @classmethod
    def from_cache(cls, data: dict[str, object]) -> Completion:
        return cls(text=str(data["text"]), structured=data.get("structured"),  # type: ignore[arg-type]
                   top_logprobs=tuple((str(token), float(logprob))
                                      for token, logprob in data.get("top_logprobs", [])),  # type: ignore[union-attr]
                   input_tokens=int(data.get("input_tokens", 0)),  # type: ignore[arg-type]
                   output_tokens=int(data.get("output_tokens", 0)),  # type: ignore[arg-type]
                   stop_reason=data.get("stop_reason"),  # type: ignore[arg-type]
                   refusal=data.get("refusal"),  # type: ignore[arg-type]
                   raw=dict(data.get("raw") or {}))  # type: ignore[arg-type]


class ProviderError(Exception):
    """A failed provider call. `retryable` marks failures worth another attempt.

    `status` is the HTTP status when there was one; `retry_after` the server's
    Retry-After in seconds when it sent one. Messages never contain API keys.
    """

    def __init__(self, message: str, *, retryable: bool, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


@runtime_checkable
class Provider(Protocol):
    """A model behind an API. `name` is the provider kind, `model` the model id."""

    name: str
    model: str
    supports_logprobs: bool

    async def complete(self, request: CompletionRequest) -> Completion: ...
