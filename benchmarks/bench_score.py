"""Speed of `echo-theory score` beside `echo-theory estimate` on the same 1e7-row .npz file.

The issue's budget: score costs at most 3x estimate. Both are timed as their commands run them,
file reading included, in the same run (the machines here are shared and noisy: the ratio of
medians travels, absolute times less so):

- estimate: ``load_series(file)`` (x, y), ``count_table`` and ``estimate_table`` over lags 3,8;
- score: ``load_series(file, ("x", "y", "p"))``, then ``score`` (loss and its standard error,
  both lag effects, every subset's divergence, the verdict);
- and the two commands end to end, as a user runs them (``echo-theory estimate FILE --lags 3,8``
  and ``echo-theory score FILE --rule 3:+0.5 --rule 8:-0.25``, JSON to a pipe), interpreter
  start and imports included.

The file holds the seed process (3:+0.5, 8:-0.25) sampled with seed 0 and the predictions of a
model that learned lag 3, with a little noise so that every p is distinct.

Run: python benchmarks/bench_score.py [--rows N] [--repeats R]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine, median_time

from echo_theory import EchoProcess
from echo_theory.diagnosis import score
from echo_theory.estimate import count_table, estimate_table
from echo_theory.sampler import sample_series
from echo_theory.series import load_series


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    rows = int(args.rows)
    process = EchoProcess(["3:+0.5", "8:-0.25"])
    x, y = sample_series(process, rows, 0)
    p = np.where(np.roll(x, 3) == 1, 7 / 8, 3 / 8) + np.random.default_rng(1).uniform(-0.01, 0.01, rows)
    p[:8] = np.nan  # a warm-up
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "series.npz"
        np.savez(path, x=x, y=y, p=p)
        del x, y, p

        def run_estimate():
            xs, ys = load_series(path)
            return estimate_table(count_table(xs, ys, "3,8"))

        def run_score():
            xs, ys, ps = load_series(path, ("x", "y", "p"))
            return score(process, xs, ys, ps)

        run_estimate(), run_score()  # warm the page cache and the imports
        # interleaved, so that a slow spell on the shared machine hits both
        estimate_times, score_times = [], []
        for _ in range(args.repeats):
            estimate_times.append(median_time(run_estimate, 1)[0])
            score_times.append(median_time(run_score, 1)[0])
        result = run_score()
        command = shutil.which("echo-theory") or str(Path(sys.executable).parent / "echo-theory")
        estimate_command = [command, "estimate", str(path), "--lags", "3,8", "--format", "json"]
        score_command = [
            command,
            "score",
            str(path),
            "--rule",
            "3:+0.5",
            "--rule",
            "8:-0.25",
            "--format",
            "json",
        ]
        commands = {"estimate": [], "score": []}
        for _ in range(args.repeats):
            for name, argv in (("estimate", estimate_command), ("score", score_command)):
                commands[name].append(
                    median_time(lambda argv=argv: subprocess.run(argv, check=True, capture_output=True), 1)[0]
                )
    e, s = float(np.median(estimate_times)), float(np.median(score_times))
    ce, cs = float(np.median(commands["estimate"])), float(np.median(commands["score"]))
    print(machine())
    print(f"{rows:,} rows of .npz, medians of {args.repeats} interleaved runs")
    print(f"library   estimate --lags 3,8  {e:.3f} s   score  {s:.3f} s   ({s / e:.2f}x estimate)")
    print(f"commands  estimate --lags 3,8  {ce:.3f} s   score  {cs:.3f} s   ({cs / ce:.2f}x estimate)")
    print(f"verdict: {result.verdict.kind} {list(result.verdict.learned)}")


if __name__ == "__main__":
    main()
