"""The parity task: does the RNN find a rule that no single lag reveals?

For 3^8:+0.4 with base 0.3, P(y=1) is 0.7 when exactly one of x[t-3], x[t-8] is 1 and 0.3
otherwise. Each lag alone says nothing (H(Y | X_3) = H(Y | X_8) = H(Y) = log 2, exactly), so
learning one lag first gains nothing: a gradient learner must find both at once. This trains
the RNN at window lengths T in {5, 9, 12}, state sizes 4 and 16, the state carried across
windows and reset at every window, 3 seeds each (side by side), and prints one Markdown row
per setting: the held-out loss (mean and range over the seeds) beside the exact levels, the
nearest subset per seed, and the measured effect of the parity condition on P(y=1) (exact
+0.4) with the per-lag effects (exact 0).

Run: python experiments/parity.py [--quick] [--epochs E] [--series-length N] [--json FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from echo_theory import EchoProcess, TrainSettings, format_lags, train_seeds
from echo_theory.atomic import atomic_output, check_output_path

PROCESS = EchoProcess(["3^8:+0.4"], base="0.3")
STEPS = (5, 9, 12)
STATES = (4, 16)
SEEDS = (0, 1, 2)


def run(args) -> list[dict]:
    steps, states = ((9,), (4,)) if args.quick else (STEPS, STATES)
    rows = []
    for state_size in states:
        for num_steps in steps:
            for reset_state in (False, True):
                settings = TrainSettings(
                    num_steps=num_steps,
                    state_size=state_size,
                    epochs=args.epochs,
                    series_length=args.series_length,
                    learning_rate=args.learning_rate,
                    optimizer=args.optimizer,
                    reset_state=reset_state,
                )
                start = time.perf_counter()
                results = train_seeds(PROCESS, settings, SEEDS)
                seconds = time.perf_counter() - start
                references = {ref.learned: ref.cross_entropy.value for ref in results[0].references}
                rows.append(
                    {
                        "num_steps": num_steps,
                        "state_size": state_size,
                        "reset_state": reset_state,
                        "losses": [r.final_loss for r in results],
                        "nearest": [list(r.nearest.learned) for r in results],
                        "nothing": references[()],
                        "both": references[(3, 8)],
                        "rule_effects": [r.rule_effects[0].measured for r in results],
                        "rule_stderr": [r.rule_effects[0].stderr for r in results],
                        "lag_effects": {
                            e.lag: [
                                next(x.measured for x in r.lag_effects if x.lag == e.lag) for r in results
                            ]
                            for e in results[0].lag_effects
                        },
                        "seconds": seconds,
                    }
                )
                print(
                    f"  H {state_size:2d}  T {num_steps:2d}  {'reset' if reset_state else 'carried':7s} "
                    f"{seconds:6.1f} s",
                    file=sys.stderr,
                )
    return rows


def _spread(values: list[float | None], digits: int, sign: str = "") -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "none"
    mean = sum(present) / len(present)
    return f"{mean:{sign}.{digits}f} ({min(present):{sign}.{digits}f} to {max(present):{sign}.{digits}f})"


def table(rows: list[dict]) -> str:
    lines = [
        "| H | T | state | held-out loss (mean, range) | learn nothing | learn both | nearest (per seed) "
        "| parity effect (exact +0.4) | lag 3, lag 8 effects (exact 0) |",
        "|---:|---:|---|---:|---:|---:|---|---:|---:|",
    ]
    for row in rows:
        nearest = ", ".join(f"{{{format_lags(n)}}}" if n else "none" for n in row["nearest"])
        lag_means = []
        for lag in (3, 8):
            present = [v for v in row["lag_effects"][lag] if v is not None]
            lag_means.append(f"{sum(present) / len(present):+.3f}" if present else "none")
        lines.append(
            f"| {row['state_size']} | {row['num_steps']} | {'reset' if row['reset_state'] else 'carried'} "
            f"| {_spread(row['losses'], 4)} | {row['nothing']:.4f} | {row['both']:.4f} | {nearest} "
            f"| {_spread(row['rule_effects'], 3, '+')} | {', '.join(lag_means)} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one setting, a short series: a smoke test")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--series-length", type=int, default=1_000_000)
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--json", help="also write the rows as JSON")
    args = parser.parse_args(argv)
    if args.json:
        check_output_path(args.json, "--json")
    if args.quick:
        args.series_length, args.epochs = min(args.series_length, 40_000), 1
    start = time.perf_counter()
    rows = run(args)
    print(
        f"{PROCESS.describe()}\n{args.optimizer} lr {args.learning_rate:g}, {args.epochs} epoch(s) of "
        f"{args.series_length:,} steps in 200 rows, seeds {', '.join(map(str, SEEDS))}; "
        f"{time.perf_counter() - start:.0f} s\n"
    )
    print(table(rows))
    if args.json:
        with atomic_output(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
