"""API keys from the standard environment variables, and nowhere else.

Keys are read once when a provider is built and kept only in the SDK client. They never
enter a log record, an error message or `Completion.raw` (see `errors.redact`).
"""

from __future__ import annotations

import os

from agents.llm.providers.errors import ProviderConfigError


def api_key_from_env(variable: str, provider: str) -> str:
    """Return the API key in `variable`; raise ProviderConfigError when it is unset or empty."""
    key = os.environ.get(variable, "").strip()
    if not key:
        raise ProviderConfigError(
            f"provider {provider!r} needs an API key, but the environment variable {variable} "
            f"is not set: export {variable}=<your key>, or use provider 'local', which needs "
            "no key")
    return key


def optional_api_key(variable: str) -> str | None:
    """Return the API key in `variable`, or None when it is unset or empty."""
    return os.environ.get(variable, "").strip() or None
