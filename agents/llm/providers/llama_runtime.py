"""Importing llama-cpp-python with the process settings that the local model needs."""

from __future__ import annotations

import os
from types import ModuleType

from agents.llm.providers.errors import ProviderConfigError

INSTALL_HINT = "pip install llama-cpp-python"


def import_llama_cpp() -> ModuleType:
    """Return the llama_cpp module, setting OMP_WAIT_POLICY before its first import.

    By default llama.cpp's OpenMP threads spin while they wait for work. With other
    processes on the same cores, that cut SmolLM2-135M's prompt evaluation from about
    160 to about 60 tokens/s (llama-cpp-python 0.3.36, 2-core machine). PASSIVE makes
    them sleep. OpenMP reads the variable once, when the native library loads, so it
    has no effect if llama_cpp was imported before this runs. A value set by the user
    is kept.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import llama_cpp
    except ImportError as error:
        raise ProviderConfigError(f"provider 'local' needs llama-cpp-python, which failed to "
                                  f"import ({error}): {INSTALL_HINT}") from error
    return llama_cpp
