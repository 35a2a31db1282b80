"""Speed of `echo-theory compute`: cold start, and every subset for n rules.

Each figure is measured against a baseline in the same run, because the machines here are
shared and noisy: medians and ratios travel, absolute seconds less so.

- Cold start: the seed example through the installed console script, against a bare
  `python -c pass` (the floor) and `python -c "import sympy"` (what a SymPy-first engine pays
  before it computes anything).
- Every subset: the engine against a direct SymPy implementation of the same definition
  (sum out the unlearned lags in Rationals, take -w (p log p + (1-p) log(1-p)), expand the
  logs into primes), on the same processes, after checking that both give the same values.

- Against dit: every subset of 12 rules in hundredths, the engine's library call beside `dit`
  computing the same values as H(Y, X_S) - H(X_S) from the joint distribution, after checking
  that both agree to 1e-10 (`pip install -e '.[bench]'`).
- Wide: one subset of 64 rules (hundredths, base 0.1, clipped), learned and unlearned, the
  whole `echo-theory compute` command; and the hard 12-rule case's time and peak memory.

Run: python benchmarks/bench_compute.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import subprocess
import sys
import time
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


def dit_all_subsets(process: EchoProcess) -> dict[tuple[int, ...], float]:
    """H(Y | X_S) = H(X_S, Y) - H(X_S) in nats for every subset S, computed by dit.

    The joint p(X_1..X_n, Y) is built once as a linear-probability ``dit.Distribution``. Every
    marginal is taken by dit's ``Distribution.marginal``: p(X_S, Y) from the p(X_S + {one more
    lag}, Y) already taken one level up the subset lattice (largest subsets first, two levels
    kept at a time), and p(X_S) from p(X_S, Y). Both entropies are ``dit.shannon.entropy_pmf``
    of the marginal's ``pmf``, in bits, times ln 2.

    Why this is the fair baseline: dit does all of the probability work (every sum over
    unlearned lags and every p log p), called in the fastest way measured. dit 2.x holds a
    distribution in an xarray array, so each marginal costs about 0.2 ms of overhead whatever
    its size, and these calls (two per subset, 8,190 for 12 rules: the fewest found) are most
    of the time; taking each from a marginal one level up, not from the full joint, saves most of
    the summing. The slower ways cost more for nothing: ``set_base('e')`` turns each marginal
    into exp, sum and log with the coordinates deep-copied (about 7x slower);
    ``dit.multivariate.entropy(d, rvs)`` goes through ``conditional_entropy``, three marginals
    (one empty, one a repeat) where one is needed; ``dit.shannon.conditional_entropy`` also
    takes three; ``dit.shannon.entropy`` builds a log-operations object each call (about 1.15x
    slower than ``entropy_pmf``).
    """
    import math

    import dit
    from dit.shannon import entropy_pmf

    n = len(process.lags)
    outcomes, pmf = [], []
    p_x = float(process.p_x)
    for mask, q in enumerate(process.table):
        bits = tuple(mask >> i & 1 for i in range(n))
        w = 1.0
        for b in bits:
            w *= p_x if b else 1 - p_x
        outcomes += [(*bits, 0), (*bits, 1)]
        pmf += [w * (1 - float(q)), w * float(q)]
    joint = dit.Distribution(outcomes, pmf)  # variables X0..X{n-1} (the lags in order), then Y
    names = joint.dims
    with_y = {tuple(range(n)): joint}  # p(X_S, Y) for the subsets S of the current size and the one above
    out = {}
    for size in range(n, -1, -1):
        for chosen in itertools.combinations(range(n), size):
            if chosen not in with_y:
                extra = next(i for i in range(n) if i not in chosen)
                parent = with_y[tuple(sorted((*chosen, extra)))]
                with_y[chosen] = parent.marginal([*(names[i] for i in chosen), names[n]])
            marginal = with_y[chosen]
            h_x = entropy_pmf(marginal.marginal([names[i] for i in chosen]).pmf) if chosen else 0.0
            out[tuple(process.lags[i] for i in chosen)] = float(entropy_pmf(marginal.pmf) - h_x) * math.log(2)
        for done in [s for s in with_y if len(s) == size + 1]:
            del with_y[done]
    return out


def against_dit(n: int) -> tuple[float, float]:
    from echo_theory.logform import factorize

    process = EchoProcess(decimal_rules(n))
    values = {row.learned: row.cross_entropy.value for row in process.subset_table().rows}
    reference = dit_all_subsets(process)  # also imports dit (xarray, SciPy): not part of the timing
    assert all(abs(values[s] - reference[s]) < 1e-10 for s in values), "engine and dit disagree"
    dit_seconds, _, _ = median_time(lambda: dit_all_subsets(process), 3)

    def run():
        factorize.cache_clear()
        return process.subset_table()

    engine, _, _ = median_time(run, 5)
    return engine, dit_seconds


def wide_command(learned: str, repeats: int) -> float:
    script = shutil.which("echo-theory") or str(Path(sys.executable).with_name("echo-theory"))
    rules = [arg for lag in range(1, 65) for arg in ("--rule", f"{lag}:{(-1) ** lag * Fraction(lag, 100)}")]
    command = [script, "compute", *rules, "--base", "0.1", "--clip", "--learned", learned]
    median, _, _ = median_time(lambda: subprocess.run(command, check=True, capture_output=True), repeats)
    return median


def hard_case() -> tuple[float, float | None]:
    """Every subset of the hard 12 rules in a fresh interpreter: seconds and peak RSS (MB)."""
    code = (
        "import sys; sys.path.insert(0, 'benchmarks'); from bench_compute import hard_rules;"
        "from echo_theory import EchoProcess; EchoProcess(hard_rules(12), p_x='1/3').subset_table()"
    )
    command = [sys.executable, "-c", code]
    if Path("/usr/bin/time").exists():
        command = ["/usr/bin/time", "-v", *command]
    start = time.perf_counter()
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    return seconds, int(match.group(1)) / 1024 if match else None


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
    parser.add_argument(
        "--only", choices=["cold", "dit", "wide", "hard"], help="run one section only (cold: the cold start)"
    )
    args = parser.parse_args()
    if args.only:
        print(f"Machine: {machine()}\n")
        if args.only == "cold":
            print("| command | median | IQR |\n|---|---:|---:|")
            for name, median, q1, q3 in cold_start(5 if args.quick else 21):
                print(f"| `{name}` | {median * 1000:.0f} ms | {q1 * 1000:.0f}-{q3 * 1000:.0f} ms |")
        elif args.only == "dit":
            engine, dit_seconds = against_dit(8 if args.quick else 12)
            print("| every subset, hundredths | engine | dit | speed-up |\n|---|---:|---:|---:|")
            rules, ratio = 8 if args.quick else 12, dit_seconds / engine
            print(f"| {rules} rules | {engine:.3f} s | {dit_seconds:.2f} s | {ratio:.1f}x |")
        elif args.only == "wide":
            print("| 64 rules in hundredths, base 0.1, clipped | whole command |\n|---|---:|")
            for learned in ("none", ",".join(map(str, range(1, 65)))):
                name = "learned none" if learned == "none" else "learned all 64"
                print(f"| {name} | {wide_command(learned, 5):.2f} s |")
        else:
            seconds, peak = hard_case()
            print(f"hard 12-rule case, every subset: {seconds:.1f} s, peak RSS {peak:.0f} MB")
        return
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
