"""Speed of `echo-theory simulate`: samples per second beside the random-number generator and the
pure-Python loop a user would otherwise write, jobs 1 vs 2, and peak memory at 1e9 samples.

Every figure is measured in the same run as its baselines, because the machines here are shared
and noisy: medians and ratios travel, absolute rates less so.

- simulate: ``simulate_counts`` (all the sampling and counting of a run, 64 blocks) at 1e8
  samples, on three processes: the seed (probabilities in quarters), the seed with shifts +0.3
  and -0.2 (exact ties), and six rules in hundredths. Each twice: as simulate counts (the
  inputs step by step, their configurations counted on packed words up to 4 lags or as byte
  masks past them, then y per configuration as one exact binomial), and with y drawn step by
  step on the sampler's path (the bit-sliced path with 2 or 10 digits, the general byte path
  at six rules), the series ``sample`` gives. Then 32 rules in
  hundredths (the summed path): drawing alone, and ``simulate_sum_counts`` (the sums of the
  learned shifts counted per subset, as simulate does past 15 rules) for the subsets none and
  all 32, for the 32 singles, and for the chain (33 subsets, the cost per subset).
- the generator: raw 64-bit words from PCG64 (``random_raw``: what the bit-sliced path spends),
  and ``Generator.integers`` drawing one uint32 per sample (the target: a simulation should
  cost no more than one such draw per sample).
- the loop: the original post's generator, a Python loop with one ``rand()`` per sample and a
  threshold built from the rules (on a seeded ``RandomState``, not the global one), timed on
  fewer samples and reported as a rate.
- jobs: the seed at 1e10 and six rules at 1e8 samples with --jobs 1 and --jobs 2 (through the
  library, same counts).
- memory: peak resident memory of the whole command (``/usr/bin/time -v``) at 1e6, 1e8 and 1e9
  samples, on the seed, the six rules and the 32 rules (learned none and all): it must stay
  flat.

Run: python benchmarks/bench_simulate.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine, median_time, peak_command_mb

from echo_theory import EchoProcess
from echo_theory.sampling import DEFAULT_CHUNK, SamplerPlan, _series, child_seed, root_seed
from echo_theory.sampling.masks import TREE_LAGS
from echo_theory.simulation import simulate_counts, simulate_sum_counts

WIDE_RULES = [f"{lag}:{(-1) ** lag * lag}/100" for lag in range(1, 33)]
WIDE = EchoProcess(WIDE_RULES, base="0.5", clip=True)
ALL = ",".join(str(lag) for lag in range(1, 33))
WIDE_COUNTS = {  # what simulate counts past 15 rules, for some choices of --learned
    "none and all 32": ["none", ALL],
    "singles (32 subsets)": ["singles"],
    "chain (33 subsets)": ["chain"],
}


def draw_only(process: EchoProcess, samples: int) -> None:
    """Draw x and y of one series of ``samples`` steps without counting: the summed path (many
    rules) draws series for sample and train but has no 2^n counts."""
    plan = SamplerPlan.of(process)
    for _ in _series(plan, child_seed(root_seed(1), 0), samples, DEFAULT_CHUNK):
        pass


PROCESSES = {
    "seed, 3:+0.5, 8:-0.25 (quarters)": EchoProcess(["3:+0.5", "8:-0.25"]),
    "3:+0.3, 8:-0.2 (tenths: exact ties)": EchoProcess(["3:+0.3", "8:-0.2"]),
    "six rules in hundredths": EchoProcess([f"{lag}:{(-1) ** lag * lag / 100}" for lag in range(1, 7)]),
}


def loop_generator(process: EchoProcess, size: int, seed: int = 0) -> np.ndarray:
    """The post's generator, for any rules: a threshold per step, one rand() per step."""
    random = np.random.RandomState(seed)
    shifts = [(rule.lag, float(rule.shift)) for rule in process.rules]
    base = float(process.base)
    x = np.array(random.choice(2, size=(size,)))
    y = []
    for i in range(size):
        threshold = base
        for lag, shift in shifts:
            if x[i - lag] == 1:
                threshold += shift
        if random.rand() > threshold:
            y.append(0)
        else:
            y.append(1)
    return np.array(y)


def rate(run, samples: int, repeats: int) -> float:
    median, _, _ = median_time(run, repeats)
    return samples / median


MEMORY_RUNS = {
    "seed": ["--rule", "3:+0.5", "--rule", "8:-0.25"],
    "six rules in hundredths": [f"--rule={lag}:{(-1) ** lag * lag / 100}" for lag in range(1, 7)],
    "32 rules, learned none and all": [
        *(f"--rule={rule}" for rule in WIDE_RULES),
        "--clip",
        "--learned=none",
        f"--learned={ALL}",
    ],
}


def peak_memory_mb(arguments: list[str], samples: str) -> float | None:
    """Peak RSS of the whole command (None without /usr/bin/time)."""
    return peak_command_mb("simulate", *arguments, "--samples", samples, "--quiet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="far smaller sizes, for a smoke run")
    parser.add_argument("--rates-only", action="store_true", help="only the first table (no jobs, no memory)")
    args = parser.parse_args()
    samples = 10**6 if args.quick else 10**8
    loop_samples = 10**4 if args.quick else 2 * 10**5
    repeats = 3 if args.quick else 5
    memory_sizes = ("1e5", "1e6", "1e7") if args.quick else ("1e6", "1e8", "1e9")

    print(f"Machine: {machine()}\n")
    rng = np.random.default_rng(0)
    raw_words = rate(lambda: rng.bit_generator.random_raw(samples), samples, repeats)
    uint32 = rate(lambda: rng.integers(0, 2**32, samples, dtype=np.uint32), samples, repeats)
    loop = rate(
        lambda: loop_generator(PROCESSES["seed, 3:+0.5, 8:-0.25 (quarters)"], loop_samples), loop_samples, 3
    )

    print(f"## simulate at {samples:.0e} samples (median of {repeats}), beside the generator and the loop\n")
    header = f"simulate at {samples:.0e} samples"
    print(f"| {header} | path | samples/s | vs one uint32 per sample | vs the loop |")
    print("|---|---|---:|---:|---:|")
    for name, process in PROCESSES.items():
        plan = SamplerPlan.of(process)
        packed = len(plan.lags) <= TREE_LAGS
        counted = f"configurations ({'packed' if packed else 'byte masks'}), y binomial"
        path = f"bit-sliced, {plan.y_bits} digits" if plan.method == "bitsliced" else "general, 1 byte"
        for label, method in ((counted, "auto"), (f"y step by step: {path}", plan.method)):

            def run(process=process, method=method):
                simulate_counts(process, samples, seed=1, method=method)

            speed = rate(run, samples, repeats)
            ratios = f"{speed / uint32:.2f}x | {speed / loop:,.0f}x"
            print(f"| {name} | {label} | {speed / 1e6:,.0f} M | {ratios} |")
    speed = rate(lambda: draw_only(WIDE, samples), samples, repeats)
    name = "32 rules in hundredths (draw only)"
    print(f"| {name} | summed | {speed / 1e6:,.0f} M | {speed / uint32:.2f}x | {speed / loop:,.0f}x |")
    for learned_name, learned in WIDE_COUNTS.items():
        size = samples if "chain" not in learned_name else samples // 10
        speed = rate(
            lambda learned=learned, size=size: simulate_sum_counts(WIDE, size, learned, seed=1), size, repeats
        )
        name = f"32 rules, learned {learned_name}"
        ratios = f"{speed / uint32:.2f}x | {speed / loop:,.0f}x"
        print(f"| {name} | summed, sums | {speed / 1e6:,.0f} M | {ratios} |")
    name = "`Generator.integers`, one uint32 per sample"
    print(f"| {name} | | {uint32 / 1e6:,.0f} M | 1x | {uint32 / loop:,.0f}x |")
    print(f"| PCG64 `random_raw`, 64-bit words | | {raw_words / 1e6:,.0f} M words | | |")
    name = f"the post's loop, one `rand()` per sample ({loop_samples:.0e} samples)"
    print(f"| {name} | | {loop / 1e6:.2f} M | | 1x |")

    if args.rates_only:
        return
    # --jobs pays a fixed pool start-up (tens of ms), so it is measured on runs long enough
    # for the work to dominate: the seed (4e9 steps a second) at 100x the samples, six rules.
    jobs_runs = [
        ("seed, 3:+0.5, 8:-0.25 (quarters)", samples * 100),
        ("six rules in hundredths", samples),
    ]
    print("\n## --jobs 1 against 2, on runs long enough for the work to dominate\n")
    print("| process | samples | jobs | samples/s | speed-up |")
    print("|---|---:|---:|---:|---:|")
    for name, size in jobs_runs:
        rates = {}
        for jobs in (1, 2):
            rates[jobs] = rate(
                lambda jobs=jobs, name=name, size=size: simulate_counts(PROCESSES[name], size, 1, jobs),
                size,
                repeats,
            )
            speedup = rates[jobs] / rates[1]
            print(f"| {name} | {size:.0e} | {jobs} | {rates[jobs] / 1e6:,.0f} M | {speedup:.2f}x |")

    print("\n## Peak memory of `echo-theory simulate` (`/usr/bin/time -v`)\n")
    print(f"| process | {' | '.join(f'{size} samples' for size in memory_sizes)} |")
    print(f"|---|{'---:|' * len(memory_sizes)}")
    for name, arguments in MEMORY_RUNS.items():
        peaks = [peak_memory_mb(arguments, size) for size in memory_sizes]
        cells = " | ".join("n/a" if peak is None else f"{peak:.0f} MB" for peak in peaks)
        print(f"| {name} | {cells} |")


if __name__ == "__main__":
    main()
