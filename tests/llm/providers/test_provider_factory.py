"""create_provider: names, defaults, configuration errors and cheap imports."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agents.llm.base import Provider
from agents.llm.providers import PROVIDER_NAMES, ProviderConfigError, create_provider
from agents.llm.providers.anthropic_provider import AnthropicProvider
from agents.llm.providers.local import DEFAULT_MODEL as LOCAL_DEFAULT
from agents.llm.providers.local import LocalProvider
from agents.llm.providers.openai_provider import CompatibleProvider, OpenAIProvider

LOOPBACK = "http://127.0.0.1:9/v1"


def config_error(*args) -> str:
    with pytest.raises(ProviderConfigError) as caught:
        create_provider(*args)
    return str(caught.value)


@pytest.fixture
def no_keys(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def test_each_name_builds(anthropic_key, openai_key):
    providers = [create_provider("local"), create_provider("anthropic", None, LOOPBACK),
                 create_provider("openai", None, LOOPBACK),
                 create_provider("compatible", "m", LOOPBACK)]
    assert [type(p) for p in providers] == [LocalProvider, AnthropicProvider, OpenAIProvider,
                                            CompatibleProvider]
    assert [p.name for p in providers] == list(PROVIDER_NAMES)
    for provider in providers:
        assert isinstance(provider, Provider)


def test_name_ignores_case(anthropic_key):
    assert create_provider(" Anthropic ", None, LOOPBACK).name == "anthropic"


def test_default_models(anthropic_key, openai_key):
    assert create_provider("local").model == LOCAL_DEFAULT
    assert create_provider("anthropic", None, LOOPBACK).model == "claude-haiku-4-5"
    assert create_provider("openai", None, LOOPBACK).model == "gpt-4.1-mini"


def test_model_kept(anthropic_key):
    assert create_provider("anthropic", "claude-sonnet-4-5", LOOPBACK).model == "claude-sonnet-4-5"


def test_logprobs_support(anthropic_key, openai_key):
    assert create_provider("anthropic", None, LOOPBACK).supports_logprobs is False
    assert create_provider("openai", None, LOOPBACK).supports_logprobs is True
    assert create_provider("local").supports_logprobs is True


def test_unknown_name_lists_valid():
    message = config_error("mistral")
    assert "'mistral'" in message
    assert "local, anthropic, openai, compatible" in message


def test_missing_anthropic_key(no_keys):
    message = config_error("anthropic", None, LOOPBACK)
    assert "ANTHROPIC_API_KEY" in message


def test_missing_openai_key(no_keys):
    message = config_error("openai", None, LOOPBACK)
    assert "OPENAI_API_KEY" in message


def test_blank_key_is_missing(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "  ")
    assert "ANTHROPIC_API_KEY" in config_error("anthropic", None, LOOPBACK)


def test_compatible_needs_no_key(no_keys):
    assert create_provider("compatible", "m", LOOPBACK).name == "compatible"


def test_compatible_needs_base_url():
    assert "base_url" in config_error("compatible", "m", None)


def test_compatible_needs_model():
    message = config_error("compatible", None, LOOPBACK)
    assert "model" in message
    assert f"{LOOPBACK}/models" in message


def test_local_rejects_base_url():
    message = config_error("local", None, LOOPBACK)
    assert repr(LOOPBACK) in message
    assert "compatible" in message


def test_local_missing_model_file(tmp_path):
    missing = str(tmp_path / "absent.gguf")
    assert repr(missing) in config_error("local", missing)


def test_invalid_base_url():
    message = config_error("openai", None, "127.0.0.1:8080")
    assert "'127.0.0.1:8080'" in message
    assert "http://" in message


def test_invalid_timeout():
    assert "timeout 0" in config_error("local", None, None, 0)


def test_import_loads_no_sdk():
    code = ("import sys, agents.llm.providers; "
            "print(sorted({'anthropic', 'openai', 'llama_cpp'} & set(sys.modules)))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"
