"""OpenAI and OpenAI-compatible servers, through Chat Completions and the openai SDK.

`OpenAIProvider` talks to the OpenAI API: strict JSON-schema output, log-probabilities
and a seed. `CompatibleProvider` talks to any server that speaks the same protocol at
a base URL (vLLM, Ollama, llama.cpp's server, LM Studio). Those servers do not all
accept `json_schema` (llama-cpp-python's server 0.3 takes only "text" and
"json_object"), so it sends `{"type": "json_object", "schema": ...}`. llama.cpp turns
the schema into a grammar; a server that ignores `schema` still returns JSON, and the
trader validates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agents.llm.base import Completion, CompletionRequest, ProviderError
from agents.llm.providers.credentials import api_key_from_env, optional_api_key
from agents.llm.providers.errors import (
    MAX_DETAIL_CHARS,
    ProviderConfigError,
    connection_error,
    redact,
    status_error,
    timeout_error,
)
from agents.llm.providers.json_reply import json_object_or_none
from agents.llm.providers.strict_schema import strict_schema

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletion

DEFAULT_MODEL = "gpt-4.1-mini"
"""Model used when none is given. Any Chat Completions model id works: pass `model`."""

KEY_VARIABLE = "OPENAI_API_KEY"

MAX_TOP_LOGPROBS = 20
"""Maximum number of alternatives per token that the OpenAI API returns."""

NO_KEY = "EMPTY"
"""Key sent to a compatible server when OPENAI_API_KEY is unset. Servers started without
an API key ignore it, and the openai SDK raises an error when given no key at all."""


class OpenAIProvider:
    """OpenAI models through Chat Completions (official `openai` SDK, its own retries off).

    With a schema, the request specifies strict JSON-schema output and the schema is
    rewritten for strict mode (see `strict_schema`). The parsed reply becomes
    `Completion.structured`. `top_logprobs` > 0 requests the first token's top
    alternatives (at most 20), and `seed` is sent when set. The API key comes from
    OPENAI_API_KEY only; `base_url` defaults to the SDK's (OPENAI_BASE_URL, else the
    OpenAI API).

    NOTE: reasoning models (the o-series, gpt-5) reject `temperature` and `logprobs`,
    so they fail here with a status 400 ProviderError.
    """

    name = "openai"
    supports_logprobs = True

    def __init__(self, model: str | None = None, base_url: str | None = None,
                 timeout: float = 60.0) -> None:
        import openai

        api_key = self._api_key()
        self.model = model or DEFAULT_MODEL
        self.timeout = timeout
        self._secrets = (api_key,)
        self._client = openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0,
                                          timeout=timeout)

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def _api_key(self) -> str:
        return api_key_from_env(KEY_VARIABLE, self.name)

    def _response_format(self, request: CompletionRequest) -> dict[str, Any]:
        return {"type": "json_schema",
                "json_schema": {"name": request.schema_name,
                                "schema": strict_schema(request.schema or {}),
                                "strict": True}}

    def _token_limit(self, max_tokens: int) -> dict[str, int]:
        # OpenAI deprecated max_tokens for max_completion_tokens, which reasoning models need.
        return {"max_completion_tokens": max_tokens}

    def request_params(self, request: CompletionRequest) -> dict[str, Any]:
        """Return the keyword arguments of `chat.completions.create` for a request."""
        params: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": message.role, "content": message.content}
                         for message in request.messages],
            "temperature": request.temperature,
            **self._token_limit(request.max_tokens),
        }
        if request.seed is not None:
            params["seed"] = request.seed
        if request.schema is not None:
            params["response_format"] = self._response_format(request)
        if request.top_logprobs > 0:
            params["logprobs"] = True
            params["top_logprobs"] = min(request.top_logprobs, MAX_TOP_LOGPROBS)
        return params

    async def complete(self, request: CompletionRequest) -> Completion:
        """Send one Chat Completions request; raise ProviderError when it fails."""
        import openai

        params = self.request_params(request)
        try:
            response = await self._client.chat.completions.create(**params)
        except openai.APITimeoutError:
            # `from None` everywhere here: the SDK's exception contains the request, with the
            # key in its headers, and its message repeats the server's error body.
            raise timeout_error(self.name, self.timeout) from None
        except openai.APIConnectionError:
            raise connection_error(self.name, self.base_url) from None
        except openai.APIStatusError as error:
            raise status_error(self.name, error.status_code, error.body,
                               error.response.headers, self._secrets, KEY_VARIABLE) from None
        except openai.OpenAIError as error:
            message_text = redact(str(error), self._secrets)[:MAX_DETAIL_CHARS]
            raise ProviderError(f"{self.name} API call failed: {message_text}",
                                retryable=False) from None
        return completion_from_response(response, request)


class CompatibleProvider(OpenAIProvider):
    """Any OpenAI-compatible server at `base_url`, such as vLLM, Ollama or llama.cpp's server.

    `model` is required, because most servers route by it and the call cache keys on
    it. With a schema, the request sets `{"type": "json_object", "schema": ...}`.
    llama-cpp-python's server (0.3.36) ignores `minimum` and `maximum` there, so
    SmolLM2-135M writes prices of 100 through it, which the trader's validation rejects.
    Provider "local" bounds them in its grammar. Log-probabilities are requested when
    `top_logprobs` > 0, and the Completion has them when the server returns them.

    OPENAI_API_KEY is sent when set, else the placeholder NO_KEY. A set key goes to
    whatever server `base_url` names, so unset it when that server is not trusted with it.
    """

    name = "compatible"
    supports_logprobs = True

    def __init__(self, model: str | None, base_url: str | None,
                 timeout: float = 60.0) -> None:
        if not base_url:
            raise ProviderConfigError(
                "provider 'compatible' needs the server's base URL: pass base_url, for "
                "example http://127.0.0.1:8080/v1")
        if not model:
            raise ProviderConfigError(
                f"provider 'compatible' needs a model id: pass model=<the id that the server "
                f"at {base_url} serves> (GET {base_url.rstrip('/')}/models lists them)")
        super().__init__(model, base_url, timeout)

    def _api_key(self) -> str:
        return optional_api_key(KEY_VARIABLE) or NO_KEY

    def _response_format(self, request: CompletionRequest) -> dict[str, Any]:
        return {"type": "json_object", "schema": request.schema}

    def _token_limit(self, max_tokens: int) -> dict[str, int]:
        # Compatible servers know max_tokens; not all of them know max_completion_tokens.
        return {"max_tokens": max_tokens}


def completion_from_response(response: ChatCompletion, request: CompletionRequest
                             ) -> Completion:
    """Return the Completion for a Chat Completions reply."""
    usage = response.usage
    input_tokens = usage.prompt_tokens if usage is not None else 0
    output_tokens = usage.completion_tokens if usage is not None else 0
    raw: dict[str, object] = {"id": response.id, "model": response.model}
    if getattr(response, "system_fingerprint", None):
        raw["system_fingerprint"] = response.system_fingerprint
    if not response.choices:
        return Completion(text="", input_tokens=input_tokens, output_tokens=output_tokens,
                          raw=raw)

    choice = response.choices[0]
    text = choice.message.content or ""
    refusal = getattr(choice.message, "refusal", None)
    if refusal is None and choice.finish_reason == "content_filter":
        refusal = "the reply was stopped by the content filter"

    structured = None
    if request.schema is not None and refusal is None:
        structured = json_object_or_none(text)

    top_logprobs: tuple[tuple[str, float], ...] = ()
    if request.top_logprobs > 0 and choice.logprobs is not None and choice.logprobs.content:
        first = choice.logprobs.content[0]
        top_logprobs = tuple((item.token, float(item.logprob))
                             for item in first.top_logprobs or ())

    return Completion(text=text, structured=structured, top_logprobs=top_logprobs,
                      input_tokens=input_tokens, output_tokens=output_tokens,
                      stop_reason=choice.finish_reason, refusal=refusal, raw=raw)
