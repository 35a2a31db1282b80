"""Speed of `echo-theory sweep`: two local jobs against one, and what scheduling and storing cost.

A grid of R runs of about a second or more each (the seed task, state 4, T 5, Adagrad 0.1,
E epochs of 1,000,000 steps, seeds 0..R-1), measured three ways in the same run, because the
machines here are shared and noisy (ratios travel, absolute times less so):

- direct: ``train`` called R times in this process, one after the other: the runs' own time.
- sweep, 1 job: ``run_sweep`` with one local worker into a fresh store: the same runs plus the
  worker's start, sending each task, pickling each result back and one SQLite commit per run.
  Overhead = sweep time / direct time - 1 (target: under 5%).
- sweep, 2 jobs: the same grid into another fresh store. Speed-up = 1-job time / 2-job time
  (target: at least 1.7x on 2 cores).

It also checks that both stores hold the same results, bit for bit, as the direct runs, and
times one commit on its own (median of 50 into a scratch store).

Run: python benchmarks/bench_sweep.py [--runs R] [--epochs E]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine

from echo_theory import EchoProcess, TrainSettings, train
from echo_theory.sweep import Grid, LocalExecutor, SweepStore, run_sweep

PROCESS = EchoProcess(["3:+0.5", "8:-0.25"])


def sweep_time(runs, folder: Path, name: str, jobs: int) -> tuple[float, list]:
    """Wall time of run_sweep into a fresh store, and what it stored."""
    with SweepStore.open(folder / f"{name}.db") as store:
        start = time.perf_counter()
        tally = run_sweep(runs, store, LocalExecutor(jobs))
        wall = time.perf_counter() - start
        assert tally.done == len(runs), tally
        return wall, store.runs(run.key for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3, help="each way, in rotating order; medians")
    args = parser.parse_args()
    runs = Grid(PROCESS, {"epochs": [args.epochs], "seed": list(range(args.runs))}).runs()
    tiny = Grid(PROCESS, {"series_length": [4000], "batch_size": [20]}).runs()
    folder = Path(tempfile.mkdtemp())
    times: dict[str, list[float]] = {"direct": [], "1 job": [], "2 jobs": [], "start": []}
    own, direct = [], None

    def run_direct() -> None:
        nonlocal direct
        start = time.perf_counter()
        direct = [train(PROCESS, TrainSettings(**run.settings)).to_dict() for run in runs]
        times["direct"].append(time.perf_counter() - start)

    def run_jobs(jobs: int):
        def go() -> None:
            wall, stored = sweep_time(runs, folder, f"{jobs}-{len(times[name])}", jobs)
            times[name].append(wall)
            if jobs == 1:
                own.append(sum(r.seconds for r in stored))
            results[jobs] = [json.dumps(r.result, sort_keys=True) for r in stored]

        name = "1 job" if jobs == 1 else "2 jobs"
        return go

    def run_start() -> None:  # a sweep of one tiny run: starting the worker, one task, one commit
        wall, stored = sweep_time(tiny, folder, f"tiny-{len(times['start'])}", 1)
        times["start"].append(wall - stored[0].seconds)

    results: dict[int, list[str]] = {}
    ways = [run_direct, run_jobs(1), run_jobs(2), run_start]
    for repeat in range(args.repeats):
        for way in ways[repeat % len(ways) :] + ways[: repeat % len(ways)]:
            way()
    for jobs in (1, 2):  # the sweep stores exactly what train gives
        assert results[jobs] == [json.dumps(d, sort_keys=True) for d in direct], jobs

    commits = []
    with SweepStore.open(folder / "commits.db") as store:
        outcome = {"status": "done", "result": direct[0], "seconds": 1.0, "version": "bench", "host": "bench"}
        for seed in range(50):
            run = Grid(PROCESS, {"seed": [1000 + seed]}).runs()[0]
            start = time.perf_counter()
            store.put(run, outcome)
            commits.append(time.perf_counter() - start)

    median = {name: statistics.median(values) for name, values in times.items()}
    own_time = statistics.median(own)
    print(f"Machine: {machine()}")
    print(
        f"{len(runs)} runs of the seed task, {args.epochs} epochs of 1,000,000 steps each; "
        f"medians of {args.repeats}\n"
    )
    print("| | wall time | per run | vs direct |")
    print("|---|---:|---:|---:|")
    print(f"| direct: `train` in this process, one after the other | {median['direct']:.2f} s "
          f"| {median['direct'] / len(runs):.2f} s | 1 |")  # fmt: skip
    for name in ("1 job", "2 jobs"):
        print(f"| `run_sweep`, {name} | {median[name]:.2f} s "
              f"| {median[name] / len(runs):.2f} s | {median[name] / median['direct']:.3f} |")  # fmt: skip
    print()
    print(f"speed-up, 2 jobs vs 1: {median['1 job'] / median['2 jobs']:.2f}x")
    print(f"1 job over direct: {100 * (median['1 job'] / median['direct'] - 1):+.1f}%")
    print(f"1 job over the runs' own time in the worker ({own_time:.2f} s): "
          f"{100 * (median['1 job'] / own_time - 1):+.1f}%")  # fmt: skip
    print(f"start-up (a sweep of one tiny run, less the run): median {median['start']:.2f} s")
    print(
        f"one commit (synchronous=FULL, rollback journal): median {1000 * statistics.median(commits):.1f} ms"
    )


if __name__ == "__main__":
    main()
