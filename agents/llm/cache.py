"""The LLM call cache: completions stored in SQLite under a hash of the full request.

The key covers the provider, the model, every request parameter, the full messages and
the sample index, so a changed prompt never hits an old entry. Replaying a session from
a cache it recorded gives the same completions and costs nothing.

Modes:
  off     always call the provider, store nothing
  record  always call the provider, store the completion (overwriting an old entry)
  replay  look up only; a miss raises CacheMissError
  auto    look up; on a miss, call the provider and store the completion

Concurrency: SQLite calls run inline on the event loop. Each one is a single indexed
read or a one-row write, so it returns in well under a millisecond unless another
process holds the write lock; then it waits for up to `busy_timeout` seconds. Several
coroutines of one process may share a CallCache, and several processes may share the
file (WAL journal, busy timeout).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path

from agents.llm.base import Completion, CompletionRequest

logger = logging.getLogger(__name__)

KEY_FORMAT = 1
"""Version of the hashed key material; bumping it invalidates every stored entry."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    request TEXT NOT NULL,
    completion TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


class CacheMode(StrEnum):
    """The cache mode, which decides when a CallCache looks up, calls and stores."""

    OFF = "off"
    RECORD = "record"
    REPLAY = "replay"
    AUTO = "auto"


class CacheError(RuntimeError):
    """The cache file cannot be opened, or a stored entry cannot be read. It stops the session."""

    aborts_session = True
    """The session kernel re-raises errors with this flag instead of recording a hold."""


class CacheMissError(CacheError):
    """A replay-mode lookup found no entry for the request. It stops the session."""

    aborts_session = True
    """The session kernel re-raises errors with this flag instead of recording a hold."""

    def __init__(self, message: str, *, key: str, agent_id: str, purpose: str) -> None:
        super().__init__(message)
        self.key = key
        self.agent_id = agent_id
        self.purpose = purpose


def request_material(provider: str, model: str, request: CompletionRequest) -> dict[str, object]:
    """Return the JSON-ready data that the cache key hashes."""
    material = request.cache_material()

    # A temperature of 1 and one of 1.0 are the same request.
    material["temperature"] = float(request.temperature)
    return {"format": KEY_FORMAT, "provider": provider, "model": model, "request": material}


def canonical_json(data: object) -> str:
    """Serialize without whitespace, keeping the key order of every mapping.

    Key order is kept on purpose, because a JSON schema's property order can change the
    reply: OpenAI Structured Outputs and grammar-constrained decoding emit properties in
    schema order. So two schemas that differ only in key order must not share an entry.
    `request_material` builds its own mappings in a fixed order.
    """
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def cache_key(provider: str, model: str, request: CompletionRequest) -> str:
    """Return the SHA-256 hex digest of the request's canonical JSON."""
    encoded = canonical_json(request_material(provider, model, request)).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


class CallCache:
    """Completions stored in one SQLite file, used according to `mode`.

    The file is opened on first use, so a cache in off mode never creates it.
    `busy_timeout` is how many seconds a write waits for another process's lock.
    """

    def __init__(self, path: str | Path, mode: CacheMode | str = CacheMode.AUTO, *,
                 busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.mode = parse_mode(mode)
        self.busy_timeout = busy_timeout
        self._connection: sqlite3.Connection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> CallCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection, created with the table on first use."""
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)

        # isolation_level=None: each statement commits on its own, so no write
        # transaction stays open across an await.
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout,
                                     isolation_level=None, check_same_thread=False)
        try:
            journal = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(SCHEMA)
        except sqlite3.DatabaseError as error:
            connection.close()
            raise CacheError(f"{self.path} cannot be used as an LLM call cache ({error}): "
                             "pass a new file name for the cache") from None
        if journal != "wal":
            logger.warning("LLM call cache %s uses journal mode %s, not WAL: processes that "
                           "share it may wait on each other", self.path, journal)
        return connection

    # Entries

    def fetch(self, key: str) -> Completion | None:
        """Return the stored completion for `key`, or None when there is none."""
        row = self.connection.execute("SELECT completion FROM llm_cache WHERE key = ?",
                                      (key,)).fetchone()
        if row is None:
            return None
        try:
            return Completion.from_cache(json.loads(row[0]))
        except (ValueError, TypeError, KeyError) as error:
            raise CacheError(f"cache entry {key} in {self.path} is unreadable ({error}): "
                             "record it again with --cache-mode record") from None

    def store(self, key: str, provider: str, model: str, request: CompletionRequest,
              completion: Completion, *, replace: bool) -> Completion:
        """Store `completion` under `key` and return the completion the entry now holds.

        With `replace` False an existing entry is kept, so when two callers miss on the
        same key, both return the first one stored. The return value is read back
        from its JSON, so a recording run returns exactly what a replay of it returns.
        """
        try:
            completion_json = json.dumps(completion.to_cache(), ensure_ascii=False)
        except (TypeError, ValueError) as error:
            raise CacheError(f"completion from {provider}/{model} cannot be stored as JSON "
                             f"({error}): the provider must put only JSON values in "
                             "Completion.raw and Completion.structured") from None
        request_json = canonical_json(request_material(provider, model, request)["request"])
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        self.connection.execute(
            f"{verb} INTO llm_cache (key, provider, model, request, completion, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, provider, model, request_json, completion_json, time.time()))

        stored = self.fetch(key)
        if stored is None:
            raise CacheError(f"cache entry {key} vanished from {self.path} right after it "
                             "was written: check that no other program deletes entries")
        return stored

    async def get_or_call(self, provider: str, model: str, request: CompletionRequest,
                          call: Callable[[], Awaitable[Completion]], *, agent_id: str,
                          purpose: str) -> tuple[Completion, bool]:
        """Return the completion for `request` and whether it came from the cache.

        `call` makes the provider call, retries included, and the mode decides whether
        it runs. Raises CacheMissError on a miss in replay mode. Two concurrent misses
        on the same key both call the provider, and both return the first completion
        stored.
        """
        if self.mode is CacheMode.OFF:
            return await call(), False

        key = cache_key(provider, model, request)
        if self.mode is CacheMode.RECORD:
            completion = await call()
            return self.store(key, provider, model, request, completion, replace=True), False

        cached = self.fetch(key)
        if cached is not None:
            return cached, True
        if self.mode is CacheMode.REPLAY:
            raise CacheMissError(
                f"no cached completion for agent {agent_id!r} ({purpose}) from "
                f"{provider}/{model}, key {key}, in {self.path}: replay mode never calls the "
                "provider. A changed prompt, parameter or sample index gives a new key. Run "
                "with --cache-mode record or --cache-mode auto to call the provider and store the "
                "completion, or replay with the cache file that recorded this session.",
                key=key, agent_id=agent_id, purpose=purpose)

        completion = await call()
        return self.store(key, provider, model, request, completion, replace=False), False


def parse_mode(mode: CacheMode | str) -> CacheMode:
    """Convert `mode` to a CacheMode, or raise ValueError naming the valid modes."""
    try:
        return CacheMode(mode)
    except ValueError:
        valid = ", ".join(member.value for member in CacheMode)
        raise ValueError(f"cache mode {mode!r} is invalid: use one of {valid}") from None
