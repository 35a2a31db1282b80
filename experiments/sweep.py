"""The learnability sweep: what truncated backprop lets the RNN learn, state carried or reset.

For the seed task (3:+0.5, 8:-0.25) it trains the RNN at every window length T in
{1, 2, 3, 4, 5, 8, 9, 10, 12}, state size H in {4, 16}, with the state carried across windows
and reset at every window, 3 seeds each (the seeds train side by side on one array axis).
It prints one Markdown row per setting: the held-out loss (mean and range over the seeds),
the nearest subset of each seed, the truncation bound (lags <= T-1) with its exact value
(a window optimum, and exact, only with the state reset), and the mean measured lag effects.
It saves a learnability plot: held-out loss against T, beside the exact levels.

Needs matplotlib for the plot (pip install -e '.[plot]').
Run: python experiments/sweep.py [--quick] [--epochs E] [--optimizer adam] [--learning-rate LR]
                                 [--plot FILE.png] [--json FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from echo_theory import EchoProcess, TrainSettings, format_lags, train_seeds

PROCESS = EchoProcess(["3:+0.5", "8:-0.25"])
STEPS = (1, 2, 3, 4, 5, 8, 9, 10, 12)
STATES = (4, 16)
SEEDS = (0, 1, 2)


def run(args) -> list[dict]:
    steps = (1, 5) if args.quick else STEPS
    rows = []
    for state_size in STATES:
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
                first = results[0]
                rows.append(
                    {
                        "num_steps": num_steps,
                        "state_size": state_size,
                        "reset_state": reset_state,
                        "losses": [r.final_loss for r in results],
                        "nearest": [list(r.nearest.learned) for r in results],
                        "bound": {
                            "learned": list(first.truncation_bound.learned),
                            "cross_entropy": first.truncation_bound.cross_entropy.value,
                            "exact": first.bound_is_exact,
                        },
                        "lag_effects": {
                            e.lag: [
                                next(x.measured for x in r.lag_effects if x.lag == e.lag) for r in results
                            ]
                            for e in first.lag_effects
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


def mean(values):
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def table(rows: list[dict]) -> str:
    lines = [
        "| H | T | state | held-out loss (mean, range) | nearest (per seed) | bound | bound value "
        "| lag 3 effect | lag 8 effect |",
        "|---:|---:|---|---:|---|---|---:|---:|---:|",
    ]
    for row in rows:
        losses = row["losses"]
        nearest = ", ".join(f"{{{format_lags(n)}}}" if n else "none" for n in row["nearest"])
        bound = row["bound"]
        effects = []
        for lag in (3, 8):
            value = mean(row["lag_effects"].get(lag, []))
            effects.append("none" if value is None else f"{value:+.3f}")
        kind = "exact" if bound["exact"] else "no bound"
        lines.append(
            f"| {row['state_size']} | {row['num_steps']} | {'reset' if row['reset_state'] else 'carried'} "
            f"| {mean(losses):.4f} ({min(losses):.4f}-{max(losses):.4f}) | {nearest} "
            f"| {format_lags(bound['learned'])} | {bound['cross_entropy']:.4f} ({kind}) "
            f"| {effects[0]} | {effects[1]} |"
        )
    return "\n".join(lines)


def plot(rows: list[dict], path: Path, settings_line: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    levels = {learned: PROCESS.cross_entropy(learned).value for learned in [(), (3,), (8,), (3, 8)]}
    figure = Figure(figsize=(11, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes_list = figure.subplots(1, len(STATES), sharey=True)
    steps = sorted({row["num_steps"] for row in rows})
    fine = list(range(1, max(steps) + 1))
    for axes, state_size in zip(axes_list, STATES, strict=True):
        for value_learned, value in levels.items():
            axes.axhline(value, linestyle="--", linewidth=0.8, color="0.5")
            axes.annotate(
                f"{format_lags(value_learned)}: {value:.4f}",
                (1.0, value),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 2),
                textcoords="offset points",
                ha="right",
                fontsize=8,
                color="0.35",
            )
        optimum = [PROCESS.window_cross_entropy([3, 8], t).value for t in fine]
        axes.plot(
            fine,
            optimum,
            ".-",
            color="0.2",
            linewidth=1,
            label="exact window optimum (the reset state's bound)",
        )
        for reset_state, marker, colour in ((False, "o", "C0"), (True, "^", "C3")):
            chosen = [r for r in rows if r["state_size"] == state_size and r["reset_state"] == reset_state]
            label = "state reset at every window" if reset_state else "state carried"
            for row in chosen:
                axes.plot(
                    [row["num_steps"]] * len(row["losses"]), row["losses"], marker, color=colour, alpha=0.35
                )
            axes.plot(
                [r["num_steps"] for r in chosen],
                [mean(r["losses"]) for r in chosen],
                marker + "-",
                color=colour,
                label=f"{label} (mean of {len(SEEDS)} seeds)",
            )
        axes.set_title(f"state size {state_size}", fontsize=10)
        axes.set_xlabel("window length T (num_steps)")
        axes.set_xticks(steps)
    axes_list[0].set_ylabel("held-out cross entropy (nats)")
    axes_list[0].legend(fontsize=8, loc="lower left")
    figure.suptitle(f"{PROCESS.describe()}\n{settings_line}", fontsize=9)
    figure.savefig(path, format="png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T in {1, 5}, short series: a smoke run")
    parser.add_argument("--epochs", type=int, default=None, help="default 10 (1 with --quick)")
    parser.add_argument(
        "--series-length", type=int, default=None, help="default 1,000,000 (40,000 with --quick)"
    )
    parser.add_argument("--optimizer", default="adam", choices=("adagrad", "sgd", "adam"))
    parser.add_argument("--learning-rate", type=float, default=0.01)
    parser.add_argument("--plot", type=Path, default=None, help="default experiments/learnability.png")
    parser.add_argument("--json", type=Path, default=None, help="also save the rows as JSON")
    args = parser.parse_args()
    args.epochs = args.epochs or (1 if args.quick else 10)
    args.series_length = args.series_length or (40_000 if args.quick else 1_000_000)
    if args.plot is None:  # a smoke run never overwrites the real figure
        folder = Path(tempfile.mkdtemp()) if args.quick else Path(__file__).parent
        args.plot = folder / "learnability.png"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SystemExit("the plot needs matplotlib: pip install -e '.[plot]'") from None

    settings_line = (
        f"{args.optimizer} lr {args.learning_rate:g}, {args.epochs} epoch(s) of {args.series_length:,} steps "
        f"in 200 rows, seeds {', '.join(map(str, SEEDS))}"
    )
    start = time.perf_counter()
    rows = run(args)
    print(f"{PROCESS.describe()}\n{settings_line}; {time.perf_counter() - start:.0f} s in all\n")
    print(table(rows))
    plot(rows, args.plot, settings_line)
    print(f"\nplot: {args.plot}")
    if args.json:
        args.json.write_text(json.dumps({"settings": settings_line, "rows": rows}, indent=1) + "\n")
        print(f"rows: {args.json}")


if __name__ == "__main__":
    main()
