"""``echo-theory train``: a NumPy RNN, GRU or LSTM trained with truncated backprop, read against
the exact theory."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from echo_theory.atomic import check_output_path
from echo_theory.errors import SettingError
from echo_theory.plot import check_target, plot_training, require_matplotlib
from echo_theory.settings import CELLS, OPTIMIZERS, TRUNCATIONS, TrainSettings

from .options import PositiveNumber, WholeNumber, build_process, format_option, process_options
from .output import emit, to_json

_DEFAULTS = TrainSettings()
MAX_SEEDS = 1024  # models trained side by side, each with its own arrays


class SeedList(click.ParamType):
    """Seeds as a list: 0,1,2 or ranges such as 0-4 (both ends included), or both: 0-2,7."""

    name = "seeds"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        seeds: list[int] = []
        for part in str(value).split(","):
            low, dash, high = part.strip().partition("-")
            try:
                first = int(low, 10)
                last = int(high, 10) if dash else first
            except ValueError:
                self.fail(f"{value!r} is not a list of seeds such as 0,1,2 or 0-4", param, ctx)
            if first < 0 or last < first:
                self.fail(f"{part.strip()!r}: seeds are integers >= 0, ranges low-high", param, ctx)
            if len(seeds) + last - first + 1 > MAX_SEEDS:
                self.fail(f"{value!r} gives more than {MAX_SEEDS} seeds", param, ctx)
            seeds.extend(range(first, last + 1))
        if len(set(seeds)) != len(seeds):
            self.fail(f"{value!r} repeats a seed", param, ctx)
        return tuple(seeds)


class ProgressLine:
    """One line on stderr, redrawn in place: epoch, windows done, running loss."""

    WIDTH = 24

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs
        self.last = 0.0
        self.shown = 0

    def __call__(self, epoch: int, window: int, windows: int, loss: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.1 and window != windows:
            return
        self.last = now
        filled = round(self.WIDTH * window / windows)
        line = (
            f"epoch {epoch}/{self.epochs} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
            f"window {window}/{windows}  loss {loss:.4f}"
        )
        click.echo("\r" + line.ljust(self.shown), err=True, nl=False)
        self.shown = len(line)

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * self.shown + "\r", err=True, nl=False)


@click.command()
@process_options(symbols=False)
@click.option(
    "--num-steps",
    type=WholeNumber(1),
    default=_DEFAULTS.num_steps,
    show_default=True,
    metavar="T",
    help="Steps per window of truncated backprop.",
)
@click.option(
    "--state-size",
    type=WholeNumber(1),
    default=_DEFAULTS.state_size,
    show_default=True,
    metavar="H",
    help="Units in the tanh state.",
)
@click.option(
    "--batch-size",
    type=WholeNumber(1),
    default=_DEFAULTS.batch_size,
    show_default=True,
    metavar="B",
    help="Rows the series is cut into, one per batch entry.",
)
@click.option(
    "--epochs",
    type=WholeNumber(1),
    default=_DEFAULTS.epochs,
    show_default=True,
    metavar="E",
    help="Passes, each over a fresh series.",
)
@click.option(
    "--series-length",
    type=WholeNumber(1),
    default=_DEFAULTS.series_length,
    show_default=True,
    metavar="N",
    help="Steps of the fresh series drawn for each epoch (and of the held-out one).",
)
@click.option(
    "--learning-rate",
    type=PositiveNumber(),
    default=_DEFAULTS.learning_rate,
    show_default=True,
    metavar="LR",
    help="Step size of the optimizer.",
)
@click.option("--optimizer", type=click.Choice(OPTIMIZERS), default=_DEFAULTS.optimizer, show_default=True)
@click.option(
    "--clip-norm",
    type=PositiveNumber(),
    default=None,
    metavar="G",
    help="Scale each update's gradient down to global L2 norm G when it is larger.",
)
@click.option("--reset-state", is_flag=True, help="Zero the state at every window instead of carrying it.")
@click.option(
    "--cell", type=click.Choice(CELLS), default=_DEFAULTS.cell, show_default=True, help="The recurrent cell."
)
@click.option(
    "--truncation",
    type=click.Choice(TRUNCATIONS),
    default=_DEFAULTS.truncation,
    show_default=True,
    help="tf: windows of T steps, one update each (BPTT(T, T)); true: every loss backpropagated "
    "exactly T steps, one update per T losses (BPTT(T, 1)).",
)
@click.option(
    "--seed",
    type=WholeNumber(0),
    default=_DEFAULTS.seed,
    show_default=True,
    metavar="S",
    help="Seeds the weights, the training series and the held-out one.",
)
@click.option(
    "--seeds",
    type=SeedList(),
    default=None,
    metavar="LIST",
    help="Train one model per seed side by side, e.g. 0,1,2 or 0-4; one row per seed, mean and range.",
)
@click.option(
    "--plot",
    "plot_path",
    metavar="FILE",
    help="Draw the training curve with the exact values of the subsets, as .png, .pdf or .svg by the "
    "suffix (needs echo-theory[plot]).",
)
@click.option(
    "--save-predictions",
    "predictions_path",
    metavar="FILE",
    help="Write the held-out series and the model's P(y=1) (x, y, p; .npz, .npy or .csv) for `score`.",
)
@format_option("table", "json")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar on stderr.")
def train(
    rules,
    base,
    p_x,
    clip,
    num_steps,
    state_size,
    batch_size,
    epochs,
    series_length,
    learning_rate,
    optimizer,
    clip_norm,
    reset_state,
    cell,
    truncation,
    seed,
    seeds,
    plot_path,
    predictions_path,
    fmt,
    quiet,
) -> None:
    """Train a NumPy RNN, GRU or LSTM with truncated backprop and compare its held-out loss with the theory.

    The defaults are the R2RT post's settings. The held-out series is read as `echo-theory
    score` reads any model: the loss with its standard error, the verdict, the subset whose
    optimal predictor the model is closest to, the truncation bound (the lags <= T-1; exact
    only with --reset-state), and each rule lag's average effect on the model's P(y=1).

    \b
    echo-theory train --rule 3:+0.5 --rule 8:-0.25
    echo-theory train --rule 3:+0.5 --rule 8:-0.25 --num-steps 9 --reset-state
    echo-theory train --rule 3:+0.5 --rule 8:-0.25 --cell lstm --truncation true --seeds 0-2
    """
    process = build_process(rules, base, p_x, clip)
    settings = TrainSettings(
        num_steps=num_steps,
        state_size=state_size,
        batch_size=batch_size,
        epochs=epochs,
        series_length=series_length,
        learning_rate=learning_rate,
        optimizer=optimizer,
        reset_state=reset_state,
        clip_norm=clip_norm,
        seed=seed if seeds is None else seeds[0],
        cell=cell,
        truncation=truncation,
    )
    if seeds is not None and click.get_current_context().get_parameter_source("seed").name != "DEFAULT":
        raise SettingError("give --seed S or --seeds LIST, not both")
    settings.check(process)
    if plot_path is not None:  # before a long run, not after it
        check_target(plot_path)
        require_matplotlib()
    if predictions_path is not None:
        check_output_path(predictions_path, "--save-predictions")
        from echo_theory.series import series_format  # NumPy: only with --save-predictions

        series_format(predictions_path, f"--save-predictions {Path(predictions_path).name}")
        if seeds is not None and len(seeds) > 1:
            raise SettingError(
                "--save-predictions writes one model's predictions: give --seed S, not --seeds"
            )
    from echo_theory.series import write_series
    from echo_theory.training import train_seeds  # NumPy loads for this command only

    progress = None if quiet or not sys.stderr.isatty() else ProgressLine(epochs)
    try:
        results = train_seeds(process, settings, [settings.seed] if seeds is None else seeds, progress)
    finally:
        if progress is not None:
            progress.close()
    if plot_path is not None:
        plot_training(results[0] if seeds is None else results, plot_path)
    if predictions_path is not None:
        x, y, p = results[0].held_out
        write_series(predictions_path, {"x": x, "y": y, "p": p})
    if seeds is None:
        emit(to_json(results[0].to_dict()) if fmt == "json" else results[0].to_text())
    else:
        emit(to_json({"runs": [r.to_dict() for r in results]}) if fmt == "json" else seeds_text(results))


def seeds_text(results) -> str:
    """The first seed's heading, then one row per seed (held-out loss, verdict, best match),
    the mean and the range, and the truncation bound the rows are read against."""
    from echo_theory import render
    from echo_theory.rules import format_lags

    first = results[0]
    heading = first.to_text().split("\n")[:2]
    heading[1] = (
        heading[1].rsplit("; seed ", 1)[0] + f"; seeds {', '.join(str(r.settings.seed) for r in results)}"
    )
    losses = [r.final_loss for r in results]

    def verdict(r) -> str:
        if r.score is None:
            return ""
        v = r.score.verdict
        partial = f" ({format_lags(v.partial)} in part)" if v.partial else ""
        return f"{v.kind} {format_lags(v.learned)}{partial}"

    rows = [
        [
            str(r.settings.seed),
            render.fixed(r.final_loss, 4),
            verdict(r),
            "" if r.score is None else format_lags(r.score.best_match.learned),
        ]
        for r in results
    ]
    rows.append(["mean", render.fixed(sum(losses) / len(losses), 4), "", ""])
    rows.append(["range", f"{render.fixed(min(losses), 4)} to {render.fixed(max(losses), 4)}", "", ""])
    bound = first.truncation_bound
    note = "exact" if first.bound_is_exact else "not a bound: the carried state can hold older inputs"
    lines = [
        *heading,
        "",
        render.text_table(
            ["seed", "held-out loss", "verdict", "best match"], rows, [False, True, False, False]
        ),
        f"truncation bound: {format_lags(bound.learned)} {render.fixed(bound.cross_entropy.value, 4)} nats "
        f"(lags <= {first.settings.num_steps - 1}; {note})",
    ]
    return "\n".join(lines)
