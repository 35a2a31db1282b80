"""Speed of `echo-theory compute`: cold start, and every subset for n rules.

Each figure is measured against a baseline in the same run, because the machines here are
shared and noisy: medians and ratios travel, absolute seconds less so.

- Cold start: the seed example through the installed console script, against a bare
  `python -c pass` (the floor) and `python -c "import sympy"` (what a SymPy-first engine pays
  before it computes anything).
- Every subset: the engine against a direct SymPy implementation of the same definition
  (sum out the unlearned lags in Rationals, take -w (p log p + (1-p) log(1-p)), expand the
  logs into primes), on the same processes, after checking that both give the same values.

Run: python benchmarks/bench_compute.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _machine import machine, median_time

from echo_theory import EchoProcess


def decimal_rules(n: int) -> list[str]:
    """Shifts in hundredths, alternating in sign: what people type. p_x = 1/2."""
    return [f"{lag}:{(-1) ** lag * Fraction(lag, 100)}" for lag in range(1, n + 1)]


def hard_rules(n: int) -> list[str]:
    """Shifts of 1/42, -1/44, ... and p_x = 1/3: large integers that must be factored."""
    return [f"{lag}:{(-1) ** lag * Fraction(1, 2 * lag + 40)}" for lag in range(1, n + 1)]


FAMILIES = {
    "hundredths, p_x = 1/2": (decimal_rules, "1/2"),
    "1/42, -1/44, ..., p_x = 1/3": (hard_rules, "1/3"),
}


def naive_sympy(process: EchoProcess) -> dict[tuple[int, ...], float]:
    """The definition, written directly in SymPy: 4^n work and symbolic logs."""
    import sympy

    lags = process.lags
    shifts = {
        rule.lag: sympy.Rational(rule.shift.numerator, rule.shift.denominator) for rule in process.rules
    }
    p_x = sympy.Rational(process.p_x.numerator, process.p_x.denominator)
    base = sympy.Rational(process.base.numerator, process.base.denominator)
    out = {}
    for size in range(len(lags) + 1):
        for learned in itertools.combinations(lags, size):
            rest = [lag for lag in lags if lag not in learned]
            h = sympy.Integer(0)
            for seen in itertools.product((0, 1), repeat=len(learned)):
                w = sympy.Mul(*(p_x if b else 1 - p_x for b in seen))
                p = sympy.Integer(0)
                for hidden in itertools.product((0, 1), repeat=len(rest)):
                    v = sympy.Mul(*(p_x if b else 1 - p_x for b in hidden))
                    fired = [lag for lag, b in zip(learned, seen, strict=True) if b]
                    fired += [lag for lag, b in zip(rest, hidden, strict=True) if b]
                    p += v * (base + sum(shifts[lag] for lag in fired))
                for q in (p, 1 - p):
                    if q != 0:
                        h -= w * q * sympy.log(q)
            out[learned] = float(sympy.expand_log(h, force=True))
    return out


def cold_start(repeats: int) -> list[tuple[str, float, float, float]]:
    script = shutil.which("echo-theory")
    if script is None:
        raise SystemExit("install the package first: pip install .")
    seed = [script, "compute", "--rule", "3:+0.5", "--rule", "8:-0.25"]
    commands = {
        "python -c pass (floor)": [sys.executable, "-c", "pass"],
        "python -c 'import sympy'": [sys.executable, "-c", "import sympy"],
        "echo-theory compute (seed)": seed,
    }
    rows = []
    for name, command in commands.items():
        median, q1, q3 = median_time(
            lambda c=command: subprocess.run(c, check=True, capture_output=True), repeats
        )
        rows.append((name, median, q1, q3))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and rules, for a smoke run")
    args = parser.parse_args()
    repeats = 5 if args.quick else 21
    max_rules = 8 if args.quick else 12
    naive_limit = 4 if args.quick else 8

    print(f"Machine: {machine()}\n")
    print("## Cold start (wall clock, whole process)\n")
    print("| command | median | IQR |")
    print("|---|---:|---:|")
    for name, median, q1, q3 in cold_start(repeats):
        print(f"| `{name}` | {median * 1000:.0f} ms | {q1 * 1000:.0f}-{q3 * 1000:.0f} ms |")

    print("\n## Every subset of n rules, exact (median of repeated runs)\n")
    print("| rules | family | engine | growth per rule | direct SymPy | speed-up |")
    print("|---:|---|---:|---:|---:|---:|")
    for family, (rules, p_x) in FAMILIES.items():
        previous = None
        for n in range(1, max_rules + 1):
            process = EchoProcess(rules(n), p_x=p_x)
            from echo_theory.logform import factorize

            def run(process=process):
                factorize.cache_clear()  # each run starts cold, as a fresh process would
                return process.subset_table()

            engine, _, _ = median_time(run, 3 if n >= 10 else 5)
            growth = f"{engine / previous:.1f}x" if previous else ""
            previous = engine
            naive_text = speedup = ""
            if n <= naive_limit:
                values = {row.learned: row.cross_entropy.value for row in run().rows}
                reference = naive_sympy(process)
                assert all(abs(values[s] - reference[s]) < 1e-12 for s in values), "engine and SymPy disagree"
                naive, _, _ = median_time(lambda process=process: naive_sympy(process), 1 if n >= 5 else 3)
                naive_text, speedup = f"{naive:.3f} s", f"{naive / engine:.0f}x"
            print(f"| {n} | {family} | {engine:.4f} s | {growth} | {naive_text} | {speedup} |")


if __name__ == "__main__":
    main()
