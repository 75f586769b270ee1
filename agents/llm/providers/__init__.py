"""Model providers: Anthropic, OpenAI, OpenAI-compatible servers, and a local GGUF model.

`create_provider` builds one by name. Each provider module imports its SDK (anthropic,
openai, llama_cpp) only when a provider is built, so importing this package is cheap.
"""

from __future__ import annotations

from agents.llm.base import Provider
from agents.llm.providers.errors import ProviderConfigError

PROVIDER_NAMES = ("local", "anthropic", "openai", "compatible")


def create_provider(name: str, model: str | None = None, base_url: str | None = None,
                    timeout: float = 60.0) -> Provider:
    """Return the provider `name` for `model` (None: the provider's default model).

    `base_url` is required for "compatible", optional for "anthropic" and "openai"
    (a proxy or a test server), and invalid for "local". `timeout` is the limit in
    seconds of one request, or of one generation for "local". Raises
    ProviderConfigError with the fix when a value is invalid or an API key is missing.
    """
    kind = name.strip().lower()
    if kind not in PROVIDER_NAMES:
        raise ProviderConfigError(f"unknown provider {name!r}: use one of "
                                  f"{', '.join(PROVIDER_NAMES)}")
    if not (isinstance(timeout, int | float) and timeout > 0):
        raise ProviderConfigError(f"timeout {timeout!r} is invalid: use a positive number of "
                                  "seconds")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ProviderConfigError(f"base_url {base_url!r} is invalid: use an http:// or "
                                  "https:// URL, for example http://127.0.0.1:8080/v1")

    if kind == "local":
        if base_url is not None:
            raise ProviderConfigError(f"provider 'local' runs in this process and takes no "
                                      f"base_url, found {base_url!r}: remove it, or use "
                                      "provider 'compatible' for a model server")
        from agents.llm.providers.local import LocalProvider

        return LocalProvider(model, timeout)
    if kind == "anthropic":
        from agents.llm.providers.anthropic_provider import AnthropicProvider

        return AnthropicProvider(model, base_url, timeout)
    if kind == "openai":
        from agents.llm.providers.openai_provider import OpenAIProvider

        return OpenAIProvider(model, base_url, timeout)

    from agents.llm.providers.openai_provider import CompatibleProvider

    return CompatibleProvider(model, base_url, timeout)


__all__ = ["PROVIDER_NAMES", "ProviderConfigError", "create_provider"]
