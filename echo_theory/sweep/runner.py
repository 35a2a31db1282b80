"""Running a sweep: skip what the store holds, send the rest to an executor, store each
outcome as it comes back, and stop cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from .executors import LocalExecutor, Lost, Stopped
from .run import Run
from .store import SweepStore


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM ended the sweep; every finished run is stored, the ones in flight are not."""

    def __init__(self, signum: int, tally: Tally) -> None:
        super().__init__(signum)
        self.signum = signum
        self.tally = tally


@dataclass
class Tally:
    """What a sweep did: runs in the grid, already stored, and done/failed/lost in this sweep."""

    total: int
    stored_before: int
    todo: int
    done: int = 0
    failed: int = 0
    lost: list[Lost] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.done + self.failed + len(self.lost)


Progress = Callable[[Tally], None]


def plan(runs: Sequence[Run], store: SweepStore, retry_failed: bool = False) -> tuple[list[Run], int]:
    """The runs still to do (each key once, in grid order), and how many the store holds."""
    statuses = store.statuses()
    todo, seen, stored = [], set(), 0
    for run in runs:
        if run.key in seen:
            continue
        seen.add(run.key)
        status = statuses.get(run.key)
        if status == "done" or (status == "failed" and not retry_failed):
            stored += 1
        else:
            todo.append(run)
    return todo, stored


def run_sweep(
    runs: Sequence[Run],
    store: SweepStore,
    executor=None,
    retry_failed: bool = False,
    progress: Progress | None = None,
) -> Tally:
    """Do every run of ``runs`` the store does not hold yet, storing each as it finishes.

    Ctrl-C and SIGTERM (when called from the main thread) raise ``Interrupted`` once the
    executor has ended the runs in flight; nothing half-done reaches the store.
    """
    executor = LocalExecutor() if executor is None else executor
    todo, stored = plan(runs, store, retry_failed)
    tally = Tally(total=stored + len(todo), stored_before=stored, todo=len(todo))
    by_key = {run.key: run for run in todo}
    if progress is not None:
        progress(tally)
    with _stop_on_signals() as caught:
        outcomes = executor.run([run.task() for run in todo], lambda: bool(caught))
        try:
            for outcome in outcomes:
                if isinstance(outcome, Lost):
                    tally.lost.append(outcome)
                else:
                    store.put(by_key[outcome["key"]], outcome)
                    if outcome["status"] == "done":
                        tally.done += 1
                    else:
                        tally.failed += 1
                if progress is not None:
                    progress(tally)
                if caught:
                    break
        except Stopped:
            pass
        finally:
            outcomes.close()  # ends the runs in flight now, not whenever the generator is collected
        if caught:
            raise Interrupted(caught[0], tally)
    return tally


@contextlib.contextmanager
def _stop_on_signals() -> Iterator[list[int]]:
    """SIGINT and SIGTERM set a flag (the list gets the signal) instead of raising at once, so
    that a commit is never cut in half; the handlers are restored on the way out."""
    caught: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield caught
        return

    def handler(signum, frame) -> None:
        caught.append(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield caught
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
