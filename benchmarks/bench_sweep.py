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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    grid = Grid(PROCESS, {"epochs": [args.epochs], "seed": list(range(args.runs))})
    runs = grid.runs()
    folder = Path(tempfile.mkdtemp())

    start = time.perf_counter()
    direct = [train(PROCESS, TrainSettings(**run.settings)).to_dict() for run in runs]
    direct_time = time.perf_counter() - start

    walls, stored = {}, {}
    for jobs in (1, 2):
        with SweepStore.open(folder / f"jobs{jobs}.db") as store:
            start = time.perf_counter()
            tally = run_sweep(runs, store, LocalExecutor(jobs))
            walls[jobs] = time.perf_counter() - start
            assert tally.done == len(runs), tally
            stored[jobs] = store.runs(run.key for run in runs)
    for jobs in (1, 2):
        assert [json.dumps(r.result) for r in stored[jobs]] == [json.dumps(d) for d in direct], jobs
    own = sum(r.seconds for r in stored[1])

    commits = []
    with SweepStore.open(folder / "commits.db") as store:
        outcome = {"status": "done", "result": direct[0], "seconds": 1.0, "version": "bench", "host": "bench"}
        for seed in range(50):
            run = Grid(PROCESS, {"seed": [1000 + seed]}).runs()[0]
            start = time.perf_counter()
            store.put(run, outcome)
            commits.append(time.perf_counter() - start)

    print(f"Machine: {machine()}")
    print(f"{len(runs)} runs of the seed task, {args.epochs} epochs of 1,000,000 steps each\n")
    print("| | wall time | per run | vs direct |")
    print("|---|---:|---:|---:|")
    print(f"| direct: `train` in this process, one after the other | {direct_time:.2f} s "
          f"| {direct_time / len(runs):.2f} s | 1 |")  # fmt: skip
    for jobs in (1, 2):
        print(f"| `run_sweep`, {jobs} local job{'s' if jobs > 1 else ''} | {walls[jobs]:.2f} s "
              f"| {walls[jobs] / len(runs):.2f} s | {walls[jobs] / direct_time:.3f} |")  # fmt: skip
    print()
    print(f"speed-up, 2 jobs vs 1: {walls[1] / walls[2]:.2f}x")
    print(f"overhead of 1 job over direct: {100 * (walls[1] / direct_time - 1):+.1f}%")
    print(f"overhead of 1 job over the runs' own time in the worker ({own:.2f} s): "
          f"{100 * (walls[1] / own - 1):+.1f}%")  # fmt: skip
    print(
        f"one commit (synchronous=FULL, rollback journal): median {1000 * statistics.median(commits):.1f} ms"
    )


if __name__ == "__main__":
    main()
