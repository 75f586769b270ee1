"""Session executors: this process, a pool of local worker processes, or a Dask cluster.

Every executor takes `SessionTask`s and returns `concurrent.futures.Future`s of
`SessionOutcome`s. Workers run sessions in memory and send the whole record back, and
the driver (`run_tournament`) is the only writer of the SQLite store. SQLite does accept
writers from several processes in WAL mode, but each waits for the others' locks and a
killed writer can leave a long transaction to roll back. A single writer keeps the
store simple and a remote Dask worker needs no access to the file at all.

- `InProcessExecutor(concurrency)`: one asyncio loop on a background thread runs up to
  `concurrency` sessions at once. Sessions of baseline traders are CPU-bound, so this
  only overlaps the waiting of LLM calls (and shares the GIL with the driver's writes).
- `WorkerPoolExecutor(workers, concurrency)`: `workers` spawned processes, each running
  up to `concurrency` sessions on its own asyncio loop. A worker that dies fails the
  sessions it held and is replaced.
- `DaskExecutor`: a Dask distributed cluster, either at a scheduler address or a
  LocalCluster on 127.0.0.1 with `workers` processes of `concurrency` threads.

Workers must import the same beliefbook version as the driver: session ids are
checked, so a mismatch fails those sessions instead of mixing records.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
import uuid
from abc import ABC, abstractmethod
from concurrent.futures import Future
from dataclasses import dataclass, field

from sim.tournament.tasks import (
    SessionOutcome,
    SessionTask,
    format_error,
    run_session,
    run_session_task,
)

logger = logging.getLogger(__name__)

EXECUTORS = ("local", "dask")


class ExecutorError(RuntimeError):
    """An executor cannot run sessions: its workers keep dying or the cluster is unreachable."""


class SessionExecutor(ABC):
    """Runs session tasks and returns futures of their outcomes. Use it as a context
    manager, or call `close`, to stop its workers."""

    @property
    @abstractmethod
    def slots(self) -> int:
        """The number of sessions to keep in flight so that every worker stays busy."""

    @abstractmethod
    def submit(self, task: SessionTask) -> Future[SessionOutcome]:
        """Start `task`; the future's result is its outcome (failed sessions included)."""

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Stop the workers; futures still pending may never complete."""

    def __enter__(self) -> SessionExecutor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def local_executor(workers: int = 1, concurrency: int = 1) -> SessionExecutor:
    """Return the in-process executor for one worker, else a pool of worker processes."""
    _check_counts(workers, concurrency)
    if workers == 1:
        return InProcessExecutor(concurrency)
    return WorkerPoolExecutor(workers, concurrency)


def _check_counts(workers: int, concurrency: int) -> None:
    if workers < 1:
        raise ValueError(f"workers {workers!r} is invalid: use 1 or more processes")
    if concurrency < 1:
        raise ValueError(f"concurrency {concurrency!r} is invalid: use 1 or more sessions "
                         "per worker")


# In this process


class InProcessExecutor(SessionExecutor):
    """Runs up to `concurrency` sessions at once on an asyncio loop in a background thread."""

    def __init__(self, concurrency: int = 1) -> None:
        _check_counts(1, concurrency)
        self.concurrency = concurrency
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever,
                                        name="beliefbook-sessions", daemon=True)
        self._thread.start()

    @property
    def slots(self) -> int:
        # No session waits in a queue here: one started while the driver writes another
        # would only compete with it for the GIL (measured slower with baseline traders).
        return self.concurrency

    def submit(self, task: SessionTask) -> Future[SessionOutcome]:
        return asyncio.run_coroutine_threadsafe(run_session(task), self._loop)

    def close(self) -> None:
        """Cancel the sessions still running (they stay incomplete), then stop the loop."""
        if self._loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(_cancel_tasks(), self._loop).result(timeout=10)
        except TimeoutError:
            logger.warning("sessions still running 10 s after they were cancelled: stopping "
                           "the event loop anyway")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()


async def _cancel_tasks() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=5)


# A pool of local worker processes


@dataclass
class _Worker:
    index: int
    process: multiprocessing.process.BaseProcess
    tasks: multiprocessing.queues.Queue
    in_flight: dict[str, Future[SessionOutcome]] = field(default_factory=dict)


class WorkerPoolExecutor(SessionExecutor):
    """`workers` spawned processes, each running up to `concurrency` sessions on asyncio.

    Each worker has its own task queue, so the driver tracks which sessions each worker
    has taken. When a worker process dies (killed, out of memory, a crash in native code),
    the sessions it held fail with the exit code and a new process takes its place, up
    to `2 * workers` replacements. Workers exit when the driver process dies.
    """

    def __init__(self, workers: int = 2, concurrency: int = 1) -> None:
        _check_counts(workers, concurrency)
        self.workers = workers
        self.concurrency = concurrency
        self._context = multiprocessing.get_context("spawn")
        self._results = self._context.Queue()
        self._lock = threading.Lock()
        self._closing = False
        self._restarts = 0
        self._broken: str | None = None
        self._pool = [self._start_worker(index) for index in range(workers)]
        self._reader = threading.Thread(target=self._read_results,
                                        name="beliefbook-results", daemon=True)
        self._reader.start()

    @property
    def slots(self) -> int:
        # One queued session per worker, so a worker starts it while the driver writes.
        return self.workers * (self.concurrency + 1)

    def submit(self, task: SessionTask) -> Future[SessionOutcome]:
        future: Future[SessionOutcome] = Future()
        with self._lock:
            if self._broken is not None:
                raise ExecutorError(self._broken)
            worker = min(self._pool, key=lambda item: len(item.in_flight))
            worker.in_flight[task.session_id] = future
            worker.tasks.put(task)
        return future

    def close(self) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
            pool = list(self._pool)
        for worker in pool:
            for _ in range(self.concurrency):
                worker.tasks.put(None)
        deadline = time.monotonic() + 10
        for worker in pool:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                logger.warning("worker process %s did not stop within 10 s: terminating it",
                               worker.process.pid)
                worker.process.terminate()
                worker.process.join(timeout=5)
        self._reader.join(timeout=5)
        for worker in pool:
            for future in worker.in_flight.values():
                future.cancel()

    def _start_worker(self, index: int) -> _Worker:
        tasks = self._context.Queue()
        process = self._context.Process(target=_worker_main,
                                        args=(index, tasks, self._results, self.concurrency),
                                        name=f"beliefbook-worker-{index}", daemon=True)
        process.start()
        logger.info("started worker process %s (slot %d)", process.pid, index)
        return _Worker(index, process, tasks)

    def _read_results(self) -> None:
        """Resolve futures from the workers' results, and check the workers twice a second."""
        checked = time.monotonic()
        while not self._closing:
            if time.monotonic() - checked > 0.5:
                self._replace_dead_workers()
                checked = time.monotonic()
            try:
                index, session_id, payload, error = self._results.get(timeout=0.2)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            with self._lock:
                future = self._pool[index].in_flight.pop(session_id, None)
            if future is None:
                continue  # its worker was declared dead and the session already failed
            if error is not None:
                future.set_exception(ExecutorError(error))
                continue
            try:
                future.set_result(pickle.loads(payload))
            except Exception as unpickling:  # noqa: BLE001 - fails this session only
                logger.warning("session %s: the worker's outcome cannot be read: %r",
                               session_id, unpickling)
                future.set_exception(ExecutorError(f"the worker's outcome cannot be read: "
                                                   f"{unpickling!r}"))

    def _replace_dead_workers(self) -> None:
        with self._lock:
            if self._closing:
                return
            for position, worker in enumerate(self._pool):
                if worker.process.is_alive():
                    continue
                code = worker.process.exitcode
                held = list(worker.in_flight.items())
                worker.in_flight.clear()
                message = (f"worker process {worker.process.pid} exited with code {code} while "
                           f"it held {len(held)} session(s)")
                logger.warning("%s: they are recorded as failed", message)
                for _, future in held:
                    future.set_exception(ExecutorError(message))
                if self._restarts >= 2 * self.workers:
                    self._broken = (f"{message}, and {self._restarts} worker processes were "
                                    "already replaced: check the workers' stderr for the cause")
                    continue
                self._restarts += 1
                self._pool[position] = self._start_worker(worker.index)


def _worker_main(index: int, tasks: multiprocessing.queues.Queue,
                 results: multiprocessing.queues.Queue, concurrency: int) -> None:
    """Entry point of a worker process: serve tasks until it reads `concurrency` Nones."""
    # Ctrl-C reaches the whole process group: the driver alone handles it and stops us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    asyncio.run(_serve(index, tasks, results, concurrency))


def _exit_with_parent(parent: multiprocessing.process.BaseProcess) -> None:
    """Exit as soon as the driver process is gone (killed drivers leave no orphans)."""
    parent.join()
    os._exit(1)


async def _serve(index: int, tasks: multiprocessing.queues.Queue,
                 results: multiprocessing.queues.Queue, concurrency: int) -> None:
    loop = asyncio.get_running_loop()

    async def lane() -> None:
        while True:
            task = await loop.run_in_executor(None, tasks.get)
            if task is None:
                return
            try:
                payload = pickle.dumps(await run_session(task))
            except Exception as error:  # noqa: BLE001 - reported to the driver as a failure
                results.put((index, task.session_id, None, format_error(error)))
                continue
            results.put((index, task.session_id, payload, None))

    await asyncio.gather(*(lane() for _ in range(concurrency)))


# Dask distributed


class DaskExecutor(SessionExecutor):
    """Sessions as Dask tasks, on the cluster at `scheduler` or on a new LocalCluster.

    The LocalCluster listens on 127.0.0.1 only, with no dashboard, and has `workers`
    processes of `concurrency` threads. Each thread runs one session at a time on its
    own event loop. A remote cluster's workers need beliefbook installed and must reach
    the LLM cache path, while the question data travels with each task.
    """

    def __init__(self, scheduler: str | None = None, *, local_cluster: bool = False,
                 workers: int = 1, concurrency: int = 1, timeout: float = 60.0) -> None:
        _check_counts(workers, concurrency)
        if (scheduler is None) == (not local_cluster):
            raise ValueError("pass a scheduler address or local_cluster=True, not both")
        from distributed import Client, LocalCluster

        self._cluster = None
        self._futures: dict[str, object] = {}
        self._lock = threading.Lock()
        if local_cluster:
            # Dask's own loggers default to INFO: follow this program's level instead.
            logging.getLogger("distributed").setLevel(logging.getLogger().getEffectiveLevel())
            self._cluster = LocalCluster(n_workers=workers, threads_per_worker=concurrency,
                                         processes=True, host="127.0.0.1",
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(scheduler, timeout=timeout)
            except OSError as error:
                raise ExecutorError(f"Dask scheduler {scheduler} cannot be reached ({error}): "
                                    "check the address, e.g. tcp://127.0.0.1:8786") from None
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.close()
            raise ExecutorError(f"no Dask worker joined within {timeout:g} s: start workers "
                                "for the scheduler") from None
        self._threads = sum(self._client.nthreads().values())
        self._threads_at = time.monotonic()
        logger.info("Dask executor: %d worker thread(s) at %s", self._threads,
                    self._client.scheduler.address)

    @property
    def slots(self) -> int:
        # Refresh the thread count now and then, because a cluster may scale.
        if time.monotonic() - self._threads_at > 5:
            self._threads = max(sum(self._client.nthreads().values()), 1)
            self._threads_at = time.monotonic()
        return 2 * self._threads

    def submit(self, task: SessionTask) -> Future[SessionOutcome]:
        outer: Future[SessionOutcome] = Future()
        key = f"session-{task.session_id}-{uuid.uuid4().hex[:8]}"

        def finished(dask_future: object) -> None:
            with self._lock:
                self._futures.pop(key, None)
            try:
                outer.set_result(dask_future.result())  # type: ignore[attr-defined]
            except BaseException as error:  # noqa: BLE001 - handed to the driver
                outer.set_exception(error)

        # The client releases a task's result once nothing refers to its future.
        dask_future = self._client.submit(run_session_task, task, key=key, pure=False)
        with self._lock:
            self._futures[key] = dask_future
        dask_future.add_done_callback(finished)
        return outer

    def close(self) -> None:
        with self._lock:
            self._futures.clear()
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()
