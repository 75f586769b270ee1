"""Executors: the same records in process, in a worker pool and on Dask; worker faults."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from sim.recorder import record_digest
from sim.runner import session_id_for
from sim.store import COMPLETE, Store
from sim.tournament import (
    DaskExecutor,
    ExecutorError,
    InProcessExecutor,
    WorkerPoolExecutor,
    local_executor,
    plan_tournament,
    run_tournament,
)
from sim.tournament.tasks import SessionTask


def digests(spec, path, executor) -> dict[str, str]:
    """Run `spec` into a new store at `path` on `executor`; return each session's digest."""
    with Store(path) as store:
        result = run_tournament(spec, store, executor, progress=False)
        assert result.status == COMPLETE
        return {sid: record_digest(store.event_rows(sid)) for sid in result.planned}


@pytest.fixture
def reference(small_spec, tmp_path):
    """Digests of the small tournament run one session at a time in this process."""
    with InProcessExecutor(1) as executor:
        return digests(small_spec, tmp_path / "reference.db", executor)


def test_dask_matches_in_process(small_spec, tmp_path, reference):
    with DaskExecutor(local_cluster=True, workers=2) as executor:
        found = digests(small_spec, tmp_path / "dask.db", executor)
    assert found == reference


def test_worker_pool_matches_in_process(small_spec, tmp_path, reference):
    with WorkerPoolExecutor(workers=2, concurrency=2) as executor:
        found = digests(small_spec, tmp_path / "pool.db", executor)
    assert found == reference


def test_concurrency_matches_serial(small_spec, tmp_path, reference):
    with InProcessExecutor(concurrency=4) as executor:
        found = digests(small_spec, tmp_path / "concurrent.db", executor)
    assert found == reference


def test_local_executor_picks_by_workers():
    with local_executor(1, 3) as single:
        assert isinstance(single, InProcessExecutor)
        assert single.slots == 3


def test_invalid_worker_count():
    with pytest.raises(ValueError, match="workers 0 is invalid"):
        local_executor(0, 1)


def test_dask_needs_one_target():
    with pytest.raises(ValueError, match="not both"):
        DaskExecutor("tcp://127.0.0.1:1", local_cluster=True)


def slow_tasks(spec, count: int) -> list[SessionTask]:
    """Return `count` tasks of long sessions (about a second each)."""
    tasks = []
    for planned in plan_tournament(spec).sessions[:count]:
        config = replace(planned.config, horizon=20_000)
        tasks.append(SessionTask(session_id_for(planned.question, config), planned.question,
                                 config))
    return tasks


def test_dead_worker_fails_its_sessions(small_spec):
    tasks = slow_tasks(small_spec, 3)
    with WorkerPoolExecutor(workers=2, concurrency=1) as pool:
        victim = pool._pool[0]
        futures = {task.session_id: pool.submit(task) for task in tasks[:2]}
        held = list(victim.in_flight)
        time.sleep(0.5)
        victim.process.kill()
        with pytest.raises(ExecutorError, match="exited with code"):
            futures[held[0]].result(timeout=30)
        survivor = next(sid for sid in futures if sid not in held)
        assert futures[survivor].result(timeout=60).status == COMPLETE
        # The replacement worker takes new sessions.
        assert pool.submit(tasks[2]).result(timeout=60).status == COMPLETE


def test_worker_pool_close_stops_processes():
    pool = WorkerPoolExecutor(workers=2, concurrency=3)
    processes = [worker.process for worker in pool._pool]
    pool.close()
    assert pool.slots == 8
    assert not any(process.is_alive() for process in processes)
