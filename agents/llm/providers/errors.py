"""Provider errors: configuration errors, HTTP failures mapped to ProviderError, redaction.

A failed HTTP call becomes a `ProviderError` whose `retryable` follows the retry rule of
the official anthropic and openai Python SDKs (`_should_retry` in anthropic 2.17 and
openai 3.60). The `x-should-retry` header decides when the server sends one. Otherwise
statuses 408, 409, 429 and 5xx (529 "overloaded" included) are retryable, and so are
timeouts and connection failures. Server text in a message passes through `redact`, so
a server that echoes the API key in its error body does not put it in logs or records.
"""

from __future__ import annotations

import email.utils
import json
import math
import time
from collections.abc import Iterable, Mapping

from agents.llm.base import ProviderError

MAX_DETAIL_CHARS = 300
"""Maximum length in characters of the server's error message kept in a ProviderError."""

REDACTED = "[redacted]"

RETRYABLE_STATUSES = frozenset({408, 409, 429})
"""4xx statuses worth another attempt: request timeout, lock conflict, rate limit."""


class ProviderConfigError(ValueError):
    """A provider that cannot be built: unknown name, missing API key, invalid URL or path."""


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Return `text` with every occurrence of each non-empty secret replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def is_retryable_status(status: int, headers: Mapping[str, str] | None = None) -> bool:
    """Return whether a response with this status deserves another attempt."""
    should_retry = (headers or {}).get("x-should-retry")
    if should_retry == "true":
        return True
    if should_retry == "false":
        return False
    return status in RETRYABLE_STATUSES or status >= 500


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    """Return the server's requested wait in seconds, or None when it sent none.

    Reads `retry-after-ms` (milliseconds, sent by OpenAI) first, then `retry-after` as
    seconds or as an HTTP date. Negative or unreadable values count as absent.
    """
    if not headers:
        return None
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(header)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds

    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_detail(body: object) -> str:
    """Return the error type and message from an API error body, as one short string.

    Understands Anthropic's `{"type": "error", "error": {"type", "message"}}`, OpenAI's
    `{"error": {"type", "code", "message"}}` (the openai SDK passes the inner object),
    and plain text.
    """
    if isinstance(body, Mapping):
        inner = body.get("error", body)
        if isinstance(inner, Mapping):
            kind = inner.get("type") or inner.get("code")
            message = inner.get("message")
            parts = [str(part) for part in (kind, message) if part]
            if parts:
                return ": ".join(parts)
        elif isinstance(inner, str):
            return inner
        return json.dumps(body, default=str)
    if body is None:
        return ""
    return str(body)


def status_error(provider: str, status: int, body: object,
                 headers: Mapping[str, str] | None, secrets: Iterable[str | None],
                 key_variable: str | None = None) -> ProviderError:
    """Return the ProviderError for an HTTP error response.

    `key_variable` names the environment variable of the API key, for the hint on 401.
    """
    detail = redact(error_detail(body), secrets)[:MAX_DETAIL_CHARS]
    retryable = is_retryable_status(status, headers)
    if status == 401:
        where = key_variable or "the API key's environment variable"
        fix = f"; check the API key in {where}"
    elif status == 404:
        fix = "; check the model id and the base URL"
    else:
        fix = ""
    return ProviderError(f"{provider} API returned status {status}"
                         f"{': ' + detail if detail else ''}{fix}",
                         retryable=retryable, status=status,
                         retry_after=retry_after_seconds(headers) if retryable else None)


def timeout_error(provider: str, timeout: float) -> ProviderError:
    """Return the ProviderError for a request that outlived the client timeout."""
    return ProviderError(f"{provider} API request timed out after {timeout:g} s",
                         retryable=True)


def connection_error(provider: str, base_url: str) -> ProviderError:
    """Return the ProviderError for a request that could not reach the server."""
    return ProviderError(f"{provider} API at {base_url} could not be reached: check the base "
                         "URL and that the server is running", retryable=True)
