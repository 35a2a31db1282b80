"""Where the runs go: local worker processes, or a Dask distributed cluster.

An executor takes the tasks still to do and yields each outcome as it arrives; the parent
(``runner.run_sweep``) stores it at once. Both poll a ``stop`` callable between arrivals, so
Ctrl-C or SIGTERM only ever lands between two commits, never inside one, and both end their
runs in flight before they return.

- ``LocalExecutor(jobs)``: ``jobs`` worker processes (default one per core), each fed one
  task at a time over its own pipe. A worker that dies (killed, out of memory) loses only the
  run it had: the executor reports it lost and starts a new worker for the rest.
- ``DaskExecutor(address)``: ``dask.distributed.Client(address)``; each run is one task,
  named by its key and the attempt. Dask reschedules a task whose worker dies (three times,
  then gives up: the run is lost). The workers need echo-theory installed, the same version.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from ..errors import DependencyError, EchoTheoryError
from .run import execute

DASK_HINT = "pip install 'echo-theory[dask]'"
CONNECT_TIMEOUT = 10  # seconds to reach a scheduler before saying it is unreachable
_POLL = 0.1  # seconds between looks at the stop flag


class SchedulerError(EchoTheoryError):
    """A Dask scheduler that cannot be reached."""


@dataclass(frozen=True)
class Lost:
    """A run whose worker died: nothing was stored; running the sweep again retries it."""

    key: str
    reason: str


class Stopped(Exception):
    """The stop flag was raised while runs were in flight; they were ended, not stored."""


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _worker(connection) -> None:
    """A local worker: ignore Ctrl-C (the parent ends it), then run tasks until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        connection.send(execute(task))


class LocalExecutor:
    """``jobs`` worker processes on this machine."""

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = default_jobs() if jobs is None else jobs
        self.where = f"{self.jobs} local worker{'s' if self.jobs != 1 else ''}"
        self._workers: dict = {}

    def busy_pids(self) -> list[int]:
        """The process ids of the workers running a task now (for tests and monitoring)."""
        return [process.pid for process, task in self._workers.values() if task is not None]

    def run(self, tasks: Sequence[dict], stop: Callable[[], bool]) -> Iterator[dict | Lost]:
        import multiprocessing
        from multiprocessing.connection import wait

        if not tasks:
            return
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if context.get_start_method() == "forkserver":
            # Each worker forks from a server that has NumPy and the trainer loaded already.
            context.set_forkserver_preload(["echo_theory.training", "echo_theory.sweep.run"])
        pending = deque(tasks)
        workers: dict = {}  # connection -> [process, task or None]
        self._workers = workers

        def start() -> None:
            mine, theirs = context.Pipe()
            process = context.Process(target=_worker, args=(theirs,), daemon=True, name="echo-theory-sweep")
            process.start()
            theirs.close()
            workers[mine] = [process, None]

        try:
            for _ in range(min(self.jobs, len(pending))):
                start()
            while pending or any(task is not None for _, task in workers.values()):
                for connection, slot in list(workers.items()):
                    if slot[1] is None and pending:
                        try:
                            connection.send(pending[0])
                        except OSError:  # it died idle: the task goes to a new worker
                            slot[0].join(1)
                            del workers[connection]
                            connection.close()
                            start()
                            continue
                        slot[1] = pending.popleft()
                if stop():
                    raise Stopped
                busy = {c: s for c, s in workers.items() if s[1] is not None}
                ready = wait([*busy, *(s[0].sentinel for s in busy.values())], timeout=_POLL)
                for connection, (process, task) in busy.items():
                    if connection in ready:
                        try:
                            outcome = connection.recv()
                        except (EOFError, OSError):
                            outcome = None
                        if outcome is not None:
                            workers[connection][1] = None
                            yield outcome
                            continue
                    if connection in ready or process.sentinel in ready:
                        if process.is_alive() and connection not in ready:
                            continue
                        process.join(1)
                        code = process.exitcode
                        del workers[connection]
                        connection.close()
                        reason = (
                            f"its worker died (signal {-code})"
                            if code is not None and code < 0
                            else f"its worker died (exit status {code})"
                        )
                        yield Lost(task["key"], reason)
                        if pending:
                            start()
        finally:
            _end(workers)


def _end(workers: dict) -> None:
    """Idle workers are told to stop; busy ones (runs in flight) are terminated."""
    for connection, (process, task) in workers.items():
        try:
            if task is None and process.is_alive():
                connection.send(None)
            else:
                process.terminate()
        except OSError:
            process.terminate()
    for connection, (process, _) in workers.items():
        process.join(2)
        if process.is_alive():
            process.kill()
            process.join()
        connection.close()


class DaskExecutor:
    """The runs go to a running Dask distributed scheduler; results come back to the parent."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.where = f"the Dask scheduler at {address}"
        self.client = None

    def connect(self) -> None:
        """Reach the scheduler (within CONNECT_TIMEOUT seconds) or say why not, in one line."""
        try:
            from distributed import Client
        except ImportError:
            raise DependencyError(f"--scheduler needs Dask, an optional extra: {DASK_HINT}") from None
        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as error:
            detail = " ".join(str(error).split()) or type(error).__name__
            if len(detail) > 160:
                detail = detail[:157] + "..."
            raise SchedulerError(
                f"--scheduler: cannot reach the Dask scheduler at {self.address} within "
                f"{CONNECT_TIMEOUT} s ({detail})"
            ) from None
        workers = len(self.client.scheduler_info().get("workers", {}))
        self.where = (
            f"the Dask scheduler at {self.address} ({workers} worker{'s' if workers != 1 else ''} now)"
        )

    def run(self, tasks: Sequence[dict], stop: Callable[[], bool]) -> Iterator[dict | Lost]:
        from distributed import as_completed

        if not tasks:
            return
        if self.client is None:
            self.connect()
        client = self.client
        # Named by the run (the dashboard shows which) plus a fresh suffix: a run cancelled by
        # an interrupt can be sent again at once without meeting its cancelled namesake.
        attempt = uuid.uuid4().hex[:8]
        futures = [
            client.submit(execute, task, key=f"echo-theory-run-{task['key'][:16]}-{attempt}", pure=False)
            for task in tasks
        ]
        keys = {future.key: task["key"] for future, task in zip(futures, tasks, strict=True)}
        arrived = as_completed(futures, loop=client.loop)
        try:
            remaining = len(futures)
            while remaining:
                if stop():
                    raise Stopped
                batch = arrived.next_batch(block=False)
                if not batch:
                    time.sleep(_POLL)
                    continue
                for future in batch:
                    remaining -= 1
                    try:
                        outcome = future.result()
                    except Exception as error:  # KilledWorker, a cancelled task: the run is lost
                        reason = " ".join(str(error).split())[:200] or type(error).__name__
                        outcome = Lost(keys[future.key], f"{type(error).__name__}: {reason}")
                    future.release()
                    yield outcome
        finally:
            client.cancel([future for future in futures if not future.done()])

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
