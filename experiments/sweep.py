"""The learnability sweep: what truncated backprop lets the RNN learn, state carried or reset.

A thin use of ``echo-theory sweep``: the grid is experiments/learnability.toml (the seed task
3:+0.5, 8:-0.25; window lengths T in {1, 2, 3, 4, 5, 8, 9, 10, 12}, state sizes 4 and 16,
the state carried across windows and reset at every window, seeds 0-2; Adam 0.01, 10 epochs
of 1,000,000 steps in 200 rows) and the store experiments/learnability.db. Runs already in the
store are skipped, so with the stored sweep this only reads it. Then it prints one Markdown row
per setting, read from the store: the held-out loss (mean and range over the seeds), the
nearest subset of each seed, the truncation bound (lags <= T-1) with its exact value (a window
optimum, and exact, only with the state reset), and the mean measured lag effects; and it
saves the learnability plot: held-out loss against T, beside the exact levels.

The same sweep from the command line (and its phase diagram):
    echo-theory sweep --grid experiments/learnability.toml --store experiments/learnability.db \
        --plot phase.png

Needs matplotlib for the plot (pip install -e '.[plot]').
Run: python experiments/sweep.py [--quick] [--store FILE.db] [--jobs J] [--plot FILE.png] [--json FILE.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from echo_theory import EchoProcess, format_lags
from echo_theory.atomic import atomic_output
from echo_theory.sweep import Grid, LocalExecutor, SweepStore, load_grid_file, run_sweep

HERE = Path(__file__).parent
GRID = HERE / "learnability.toml"
PROCESS = EchoProcess(["3:+0.5", "8:-0.25"])
STATES = (4, 16)
SEEDS = (0, 1, 2)


def quick_grid() -> Grid:
    """A smoke run: T in {1, 5}, one epoch of 40,000 steps."""
    return Grid(
        PROCESS,
        {
            "num_steps": [1, 5],
            "state_size": list(STATES),
            "reset_state": [False, True],
            "epochs": [1],
            "series_length": [40_000],
            "optimizer": ["adam"],
            "learning_rate": [0.01],
            "seed": list(SEEDS),
        },
    )


def run(runs, store_path: Path, jobs: int | None) -> list[dict]:
    """Sweep what the store lacks, then one row per (H, T, protocol), read from the store."""

    def progress(tally) -> None:
        if tally.finished:
            print(f"  {tally.finished}/{tally.todo} runs ({tally.failed} failed)", file=sys.stderr)

    with SweepStore.open(store_path) as store:
        tally = run_sweep(runs, store, LocalExecutor(jobs), progress=progress)
        stored = store.runs(run.key for run in runs)
    if len(stored) < len(runs) or tally.lost:
        raise SystemExit(f"{len(runs) - len(stored)} runs are missing from {store_path}; run again")
    groups: dict[tuple, list] = {}
    for item in stored:
        s = item.settings
        groups.setdefault((s["state_size"], s["num_steps"], s["reset_state"]), []).append(item)
    rows = []
    for (state_size, num_steps, reset_state), members in sorted(groups.items()):
        failed = [m for m in members if m.status != "done"]
        if failed:
            raise SystemExit(f"H {state_size} T {num_steps}: a run failed: {failed[0].message}")
        first = members[0].result
        rows.append(
            {
                "num_steps": num_steps,
                "state_size": state_size,
                "reset_state": reset_state,
                "losses": [m.final_loss for m in members],
                "nearest": [list(m.nearest) for m in members],
                "bound": first["truncation_bound"],
                "lag_effects": {
                    e["lag"]: [
                        next(x["measured"] for x in m.result["lag_effects"] if x["lag"] == e["lag"])
                        for m in members
                    ]
                    for e in first["lag_effects"]
                },
                "seconds": sum(m.seconds for m in members),
            }
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
    with atomic_output(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="T in {1, 5}, short series: a smoke run")
    parser.add_argument("--store", type=Path, default=None, help="default experiments/learnability.db")
    parser.add_argument("--jobs", type=int, default=None, help="local workers (default one per core)")
    parser.add_argument("--plot", type=Path, default=None, help="default experiments/learnability.png")
    parser.add_argument("--json", type=Path, default=None, help="also save the rows as JSON")
    args = parser.parse_args()
    if args.quick:  # a smoke run never touches the real store or figure
        folder = Path(tempfile.mkdtemp())
        args.store = args.store or folder / "quick.db"
        args.plot = args.plot or folder / "learnability.png"
        runs = quick_grid().runs()
    else:
        args.store = args.store or HERE / "learnability.db"
        args.plot = args.plot or HERE / "learnability.png"
        runs = [run for grid in load_grid_file(GRID) for run in grid.runs()]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SystemExit("the plot needs matplotlib: pip install -e '.[plot]'") from None

    s = runs[0].settings
    settings_line = (
        f"{s['optimizer']} lr {s['learning_rate']:g}, {s['epochs']} epoch(s) of {s['series_length']:,} steps "
        f"in {s['batch_size']} rows, seeds {', '.join(map(str, SEEDS))}"
    )
    start = time.perf_counter()
    rows = run(runs, args.store, args.jobs)
    trained = sum(row["seconds"] for row in rows)
    print(
        f"{PROCESS.describe()}\n{settings_line}; store {args.store} ({trained:.0f} s of training in it; "
        f"{time.perf_counter() - start:.0f} s now)\n"
    )
    print(table(rows))
    plot(rows, args.plot, settings_line)
    print(f"\nplot: {args.plot}")
    if args.json:
        args.json.write_text(json.dumps({"settings": settings_line, "rows": rows}, indent=1) + "\n")
        print(f"rows: {args.json}")


if __name__ == "__main__":
    main()
