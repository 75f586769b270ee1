"""LLM call cache: keys, the four modes, replay misses, and sharing one file."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from agents.llm.base import ChatMessage, Completion, CompletionRequest
from agents.llm.cache import CacheError, CacheMissError, CacheMode, CallCache, cache_key

REPO = Path(__file__).resolve().parents[2]

SCHEMA = {"type": "object", "properties": {"probability_yes": {"type": "number"},
                                           "reasoning": {"type": "string"}}}


def make_request(text: str = "Will it rain?", **changes) -> CompletionRequest:
    fields = {"messages": (ChatMessage("system", "You trade."), ChatMessage("user", text)),
              "schema": SCHEMA, "temperature": 0.7, "seed": 11}
    fields.update(changes)
    return CompletionRequest(**fields)


class CountingCall:
    """A provider call stand-in that counts calls and numbers its completions."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> Completion:
        self.calls += 1
        return Completion(text=f"reply {self.calls}", input_tokens=10, output_tokens=2)


def get(cache: CallCache, call, request: CompletionRequest | None = None):
    request = request if request is not None else make_request()
    return asyncio.run(cache.get_or_call("fake", "fake-1", request, call, agent_id="a1",
                                         purpose="decision at t=120.000"))


def row_count(path: Path) -> int:
    with sqlite3.connect(path) as connection:
        return connection.execute("SELECT count(*) FROM llm_cache").fetchone()[0]


# Keys

def test_key_stable_for_equal_requests():
    assert cache_key("fake", "m", make_request()) == cache_key("fake", "m", make_request())


def test_key_is_sha256_hex():
    key = cache_key("fake", "m", make_request())
    assert len(key) == 64
    assert set(key) <= set("0123456789abcdef")


@pytest.mark.parametrize("changes", [
    {"text": "Will it snow?"},
    {"messages": (ChatMessage("user", "Will it rain?"),)},
    {"sample_index": 1},
    {"temperature": 0.0},
    {"max_tokens": 50},
    {"seed": 12},
    {"top_logprobs": 5},
    {"schema": None},
    {"schema_name": "belief"},
], ids=lambda changes: next(iter(changes)))
def test_key_changes_with_request(changes):
    assert cache_key("fake", "m", make_request(**changes)) != cache_key("fake", "m",
                                                                        make_request())


def test_key_changes_with_model():
    assert cache_key("fake", "m1", make_request()) != cache_key("fake", "m2", make_request())


def test_key_changes_with_provider():
    assert cache_key("p1", "m", make_request()) != cache_key("p2", "m", make_request())


def test_key_same_for_int_temperature():
    assert cache_key("fake", "m", make_request(temperature=1)) == cache_key(
        "fake", "m", make_request(temperature=1.0))


def test_key_keeps_schema_property_order():
    reordered = {"type": "object", "properties": {"reasoning": {"type": "string"},
                                                  "probability_yes": {"type": "number"}}}
    assert cache_key("fake", "m", make_request(schema=reordered)) != cache_key(
        "fake", "m", make_request())


# Modes

def test_mode_from_string():
    assert CallCache("unused.db", "replay").mode is CacheMode.REPLAY


def test_mode_invalid_names_valid_ones():
    with pytest.raises(ValueError, match="off, record, replay, auto"):
        CallCache("unused.db", "sometimes")


def test_off_calls_every_time(tmp_path):
    cache = CallCache(tmp_path / "c.db", CacheMode.OFF)
    call = CountingCall()
    get(cache, call)
    completion, hit = get(cache, call)
    assert call.calls == 2
    assert hit is False
    assert completion.text == "reply 2"


def test_off_creates_no_file(tmp_path):
    cache = CallCache(tmp_path / "c.db", CacheMode.OFF)
    get(cache, CountingCall())
    assert not (tmp_path / "c.db").exists()


def test_record_overwrites_entry(tmp_path):
    call = CountingCall()
    with CallCache(tmp_path / "c.db", CacheMode.RECORD) as cache:
        get(cache, call)
        completion, hit = get(cache, call)
        stored = cache.fetch(cache_key("fake", "fake-1", make_request()))
    assert call.calls == 2
    assert hit is False
    assert stored == completion
    assert stored.text == "reply 2"
    assert row_count(tmp_path / "c.db") == 1


def test_auto_miss_calls_then_hits(tmp_path):
    call = CountingCall()
    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        first, first_hit = get(cache, call)
        second, second_hit = get(cache, call)
    assert call.calls == 1
    assert first_hit is False
    assert second_hit is True
    assert second == first


def test_auto_sample_index_misses(tmp_path):
    call = CountingCall()
    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        get(cache, call, make_request(sample_index=0))
        completion, hit = get(cache, call, make_request(sample_index=1))
    assert hit is False
    assert completion.text == "reply 2"


def test_replay_returns_recorded(tmp_path):
    with CallCache(tmp_path / "c.db", CacheMode.RECORD) as recorder:
        recorded, _ = get(recorder, CountingCall())
    call = CountingCall()
    with CallCache(tmp_path / "c.db", CacheMode.REPLAY) as replayer:
        replayed, hit = get(replayer, call)
    assert hit is True
    assert call.calls == 0
    assert replayed == recorded


def test_replay_miss_never_calls(tmp_path):
    call = CountingCall()
    with CallCache(tmp_path / "c.db", CacheMode.REPLAY) as cache:
        with pytest.raises(CacheMissError):
            get(cache, call)
    assert call.calls == 0


def test_replay_miss_message(tmp_path):
    with CallCache(tmp_path / "c.db", CacheMode.REPLAY) as cache:
        with pytest.raises(CacheMissError) as caught:
            get(cache, CountingCall())
    message = str(caught.value)
    key = cache_key("fake", "fake-1", make_request())
    assert "'a1'" in message
    assert "decision at t=120.000" in message
    assert "fake/fake-1" in message
    assert key in message
    assert "--cache-mode record" in message
    assert caught.value.key == key


def test_replay_miss_after_prompt_change(tmp_path):
    with CallCache(tmp_path / "c.db", CacheMode.RECORD) as recorder:
        get(recorder, CountingCall())
    with CallCache(tmp_path / "c.db", CacheMode.REPLAY) as replayer:
        with pytest.raises(CacheMissError):
            get(replayer, CountingCall(), make_request(text="Will it rain today?"))


# Stored data

def test_round_trip_keeps_fields(tmp_path):
    original = Completion(text='{"probability_yes": 0.3}', structured={"probability_yes": 0.3},
                          top_logprobs=(("Yes", -0.1), ("No", -2.5)), input_tokens=120,
                          output_tokens=8, stop_reason="end_turn", refusal=None,
                          raw={"id": "msg_1"})

    async def call():
        return original

    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        get(cache, call)
        stored = cache.fetch(cache_key("fake", "fake-1", make_request()))
    assert stored == original


def test_recorded_equals_replayed(tmp_path):
    # A tuple in `raw` reads back as a list, so the recording run must see the list too.
    async def call():
        return Completion(text="x", raw={"pair": (1, 2)})

    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        recorded, _ = get(cache, call)
        replayed, _ = get(cache, call)
    assert recorded.raw == {"pair": [1, 2]}
    assert recorded == replayed


def test_request_stored_as_json(tmp_path):
    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        get(cache, CountingCall())
    with sqlite3.connect(tmp_path / "c.db") as connection:
        provider, model, request = connection.execute(
            "SELECT provider, model, request FROM llm_cache").fetchone()
    assert provider == "fake"
    assert model == "fake-1"
    assert json.loads(request)["messages"][1] == ["user", "Will it rain?"]


def test_unserializable_completion_raises(tmp_path):
    async def call():
        return Completion(text="x", raw={"when": object()})

    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        with pytest.raises(CacheError, match="JSON"):
            get(cache, call)


def test_cache_uses_wal(tmp_path):
    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        mode = cache.connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_non_sqlite_file_raises(tmp_path):
    path = tmp_path / "c.db"
    path.write_text("not a database " * 100)
    with CallCache(path, CacheMode.AUTO) as cache:
        with pytest.raises(CacheError, match="cannot be used"):
            get(cache, CountingCall())


def test_corrupt_entry_raises(tmp_path):
    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        get(cache, CountingCall())
    with sqlite3.connect(tmp_path / "c.db") as connection:
        connection.execute("UPDATE llm_cache SET completion = '{broken'")
    with CallCache(tmp_path / "c.db", CacheMode.REPLAY) as cache:
        with pytest.raises(CacheError, match="unreadable"):
            get(cache, CountingCall())


# Sharing

def test_two_caches_share_file(tmp_path):
    first = CallCache(tmp_path / "c.db", CacheMode.AUTO)
    second = CallCache(tmp_path / "c.db", CacheMode.AUTO)
    call = CountingCall()
    stored, _ = get(first, call)
    found, hit = get(second, call)
    first.close()
    second.close()
    assert call.calls == 1
    assert hit is True
    assert found == stored


def test_auto_keeps_first_stored(tmp_path):
    # While this cache waits on its provider call, another one stores the same key.
    first = CallCache(tmp_path / "c.db", CacheMode.AUTO)
    second = CallCache(tmp_path / "c.db", CacheMode.AUTO)

    async def slow_call():
        await second.get_or_call("fake", "fake-1", make_request(), winner, agent_id="a2",
                                 purpose="p")
        return Completion(text="loser")

    async def winner():
        return Completion(text="winner")

    completion, hit = get(first, slow_call)
    first.close()
    second.close()
    assert hit is False
    assert completion.text == "winner"


def test_concurrent_coroutines_share_cache(tmp_path):
    async def run(cache):
        async def call_for(index):
            await asyncio.sleep(0)
            return Completion(text=f"answer {index}")

        requests = [make_request(sample_index=index) for index in range(20)]
        return await asyncio.gather(*(
            cache.get_or_call("fake", "fake-1", request,
                              lambda index=index: call_for(index), agent_id="a1", purpose="p")
            for index, request in enumerate(requests)))

    with CallCache(tmp_path / "c.db", CacheMode.AUTO) as cache:
        results = asyncio.run(run(cache))
    assert [completion.text for completion, _ in results] == [f"answer {i}" for i in range(20)]
    assert row_count(tmp_path / "c.db") == 20


WORKER = textwrap.dedent("""
    import asyncio, json, os, sys
    from agents.llm.base import ChatMessage, Completion, CompletionRequest
    from agents.llm.cache import CallCache

    async def main(path):
        cache = CallCache(path, "auto", busy_timeout=60)
        texts = []
        for index in range(40):
            request = CompletionRequest(messages=(ChatMessage("user", f"q{index}"),))

            async def call(index=index):
                await asyncio.sleep(0.001)
                return Completion(text=f"process {os.getpid()} q{index}")

            completion, _ = await cache.get_or_call("fake", "fake-1", request, call,
                                                    agent_id="a1", purpose="p")
            texts.append(completion.text)
        print(json.dumps(texts))

    asyncio.run(main(sys.argv[1]))
""")


def test_processes_share_file(tmp_path):
    path = tmp_path / "c.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, str(path)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(4)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr

    with sqlite3.connect(path) as connection:
        stored = [json.loads(text)["text"] for (text,) in connection.execute(
            "SELECT completion FROM llm_cache")]
    assert len(stored) == 40
    returned = [json.loads(stdout) for stdout, _ in outputs]
    for texts in returned[1:]:
        assert texts == returned[0]
    assert sorted(returned[0]) == sorted(stored)
