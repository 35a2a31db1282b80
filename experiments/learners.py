"""The learners beside the exact theory: GRU and LSTM against the vanilla RNN, and the two styles
of truncated backprop (tf windows, BPTT(T, T), and true truncation, BPTT(T, 1)).

Part 1, cells: the seed task (3:+0.5, 8:-0.25) at T = 10 with the state carried, each cell at
state size 4 and 16, Adam 0.01, 2 epochs, seeds 0, 1, 2 (side by side on one array axis).

Part 2, truncation styles: on the seed task and on a held-out process (1:+0.25, 6:-0.4), the
RNN with state 16 at several T, both styles, state reset and carried, beside the exact optima:
tf with a reset state reaches at best (1/T) sum_k H(Y | X_{S, lags <= k}); true with a reset
state H(Y | X_{S, lags <= T-1}) at every position. "equal compute" is tf with the state reset,
given as many epochs as true truncation's cost ratio (measured here, per update) buys.

Run: python experiments/learners.py [--quick] [--json FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from echo_theory import EchoProcess, TrainSettings, format_lags, train_seeds

SEED_TASK = EchoProcess(["3:+0.5", "8:-0.25"])
HELD_OUT = EchoProcess(["1:+0.25", "6:-0.4"])
SEEDS = (0, 1, 2)


def run(process, seeds=SEEDS, **settings):
    start = time.perf_counter()
    results = train_seeds(process, TrainSettings(**settings), seeds)
    seconds = time.perf_counter() - start
    losses = [r.final_loss for r in results]
    return {
        "settings": {k: v for k, v in settings.items()},
        "losses": losses,
        "nearest": [list(r.nearest.learned) for r in results],
        "bound": results[0].truncation_bound.cross_entropy.value,
        "seconds": seconds,
    }


def spread(losses) -> str:
    return f"{sum(losses) / len(losses):.4f} ({min(losses):.4f}-{max(losses):.4f})"


def nearest(row) -> str:
    return ", ".join(f"{{{format_lags(n)}}}" if n else "none" for n in row["nearest"])


def cells(args) -> list[str]:
    lines = [
        "| cell | H | held-out loss (mean, range) | nearest (per seed) | seconds |",
        "|---|---:|---:|---|---:|",
    ]
    for state_size in (4, 16):
        for cell in ("rnn", "gru", "lstm"):
            row = run(
                SEED_TASK,
                cell=cell,
                state_size=state_size,
                num_steps=10,
                epochs=args.epochs,
                series_length=args.series_length,
                optimizer="adam",
                learning_rate=0.01,
            )
            lines.append(
                f"| {cell} | {state_size} | {spread(row['losses'])} | {nearest(row)} | {row['seconds']:.0f} |"
            )
            print(lines[-1], file=sys.stderr)
    return lines


def styles(args, process, steps) -> list[str]:
    lines = [
        f"{process.describe()}",
        "",
        "| T | state | tf: loss (mean, range) | tf optimum | true: loss (mean, range) | true optimum "
        "| cost true/tf | tf at equal compute (epochs) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    full = process.lags
    for t in steps:
        for reset in (True, False):
            common = dict(
                cell=args.cell,
                state_size=16,
                num_steps=t,
                epochs=args.epochs,
                series_length=args.series_length,
                optimizer="adam",
                learning_rate=0.01,
                reset_state=reset,
            )
            tf = run(process, **common)
            true = run(process, truncation="true", **common)
            ratio = true["seconds"] / tf["seconds"]
            if reset:
                tf_opt = process.window_cross_entropy(full, t).value
                true_opt = process.true_window_cross_entropy(full, t).value
                opts = f"{tf_opt:.4f} | {spread(true['losses'])} | {true_opt:.4f}"
                epochs = max(args.epochs, round(args.epochs * ratio))
                equal = run(process, **{**common, "epochs": epochs})
                extra = f"{spread(equal['losses'])} ({epochs})"
            else:
                opts = f"no bound | {spread(true['losses'])} | no bound"
                extra = ""
            lines.append(
                f"| {t} | {'reset' if reset else 'carried'} | {spread(tf['losses'])} | {opts} "
                f"| {ratio:.1f} | {extra} |"
            )
            print(lines[-1], file=sys.stderr)
    levels = ", ".join(
        f"{{{format_lags(s)}}} {process.cross_entropy(s).value:.4f}" for s in process.subsets()
    )
    lines += ["", f"H(Y | X_S): {levels}"]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short series, few T: a smoke run")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--series-length", type=int, default=None, help="default 1,000,000 (20,000 with --quick)"
    )
    parser.add_argument("--cell", default="rnn", help="the cell of part 2")
    parser.add_argument("--part", choices=("cells", "styles", "both"), default="both")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    args.series_length = args.series_length or (20_000 if args.quick else 1_000_000)
    if args.quick:
        args.epochs = 1
    start = time.perf_counter()
    out = []
    if args.part in ("cells", "both"):
        out += ["## Cells: the seed task, T = 10, state carried, Adam 0.01", "", *cells(args), ""]
    if args.part in ("styles", "both"):
        for process, steps in (
            (SEED_TASK, (4, 5, 9, 12) if not args.quick else (4,)),
            (HELD_OUT, (2, 4, 7, 10) if not args.quick else (2,)),
        ):
            out += [
                f"## Truncation styles, {args.cell} state 16, Adam 0.01, {args.epochs} epoch(s)",
                "",
                *styles(args, process, steps),
                "",
            ]
    print("\n".join(out))
    print(
        f"{time.perf_counter() - start:.0f} s in all; {args.epochs} epoch(s) of {args.series_length:,} steps "
        f"in 200 rows; seeds {', '.join(map(str, SEEDS))}"
    )
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
