"""``echo-theory sweep``: train over a grid of settings and seeds, stored in SQLite as each run ends."""

from __future__ import annotations

import signal
import sys
import time

import click

from echo_theory.errors import EchoTheoryError
from echo_theory.settings import TrainSettings
from echo_theory.sweep.grid import AXES

from .options import WholeNumber, build_process, process_options
from .output import emit

FORMATS = ("table", "json", "csv", "markdown")


class SweepProgress:
    """One line on stderr, redrawn in place: runs finished, failed, and the time left."""

    WIDTH = 24

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.shown = 0

    def __call__(self, tally) -> None:
        todo, finished = tally.todo, tally.finished
        filled = round(self.WIDTH * finished / todo) if todo else self.WIDTH
        elapsed = time.monotonic() - self.start
        eta = "--" if not finished else _duration(elapsed / finished * (todo - finished))
        line = (
            f"runs [{'#' * filled}{'.' * (self.WIDTH - filled)}] {finished}/{todo}"
            f"  failed {tally.failed}  ETA {eta}"
        )
        if tally.stored_before:
            line += f"  ({tally.stored_before} stored before)"
        click.echo("\r" + line.ljust(self.shown), err=True, nl=False)
        self.shown = len(line)

    def close(self) -> None:
        if self.shown:
            click.echo("\r" + " " * self.shown + "\r", err=True, nl=False)


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m"


def axis_options(command):
    """One comma-list option per swept setting (the table in echo_theory.sweep.grid)."""
    defaults = TrainSettings().to_dict()
    for axis in reversed(AXES):
        default = defaults[axis.field]
        shown = ("reset" if default else "carried") if axis.field == "reset_state" else default
        text = f"{axis.help}  [default: {'none' if shown is None else shown}]"
        command = click.option(axis.option, axis.key, metavar=axis.metavar, default=None, help=text)(command)
    return command


@click.command()
@process_options
@axis_options
@click.option("--grid", "grid_file", metavar="FILE.toml", help="Several processes and grids at once (TOML).")
@click.option("--store", default="sweep.db", show_default=True, metavar="FILE", help="The SQLite store.")
@click.option("--retry-failed", is_flag=True, help="Run again the runs stored as failed.")
@click.option(
    "--jobs",
    type=WholeNumber(1),
    default=None,
    metavar="J",
    help="Local worker processes [default: one per core].",
)
@click.option(
    "--scheduler", metavar="tcp://HOST:PORT", help="Run on a Dask cluster (pip install 'echo-theory[dask]')."
)
@click.option(
    "--report-only",
    is_flag=True,
    help="Run nothing: report what the store holds (of the grid, if one is given).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option(
    "--plot", "plot_path", metavar="FILE.png", help="Draw the phase diagram (needs echo-theory[plot])."
)
@click.option("--quiet", is_flag=True, help="No progress bar or summary on stderr.")
def sweep(
    rules,
    base,
    p_x,
    clip,
    grid_file,
    store,
    retry_failed,
    jobs,
    scheduler,
    report_only,
    fmt,
    plot_path,
    quiet,
    **lists,
) -> None:
    """Train over the product of comma lists, each run stored in SQLite as soon as it ends.

    Each swept option takes a comma list (and integers ranges): the grid is their product,
    one run per seed. Running the same command again skips the runs already stored, so an
    interrupted sweep resumes where it stopped; --retry-failed runs the failed ones again.

    \b
    echo-theory sweep --rule 3:+0.5 --rule 8:-0.25 --num-steps 1-5,8 --state-size 4,16 --seeds 0-2
    echo-theory sweep --grid experiments/learnability.toml --store experiments/learnability.db
    echo-theory sweep --store sweep.db --report-only --format csv
    """
    from echo_theory.sweep import grid as grids

    given = {axis.option: lists[axis.key] for axis in AXES if lists[axis.key] is not None}
    process_given = rules or base != "1/2" or p_x != "1/2" or clip
    if grid_file is not None and (process_given or given):
        raise click.UsageError(
            "give the grid either in --grid FILE or by options (--rule, --num-steps, ...), not both"
        )
    if scheduler is not None and jobs is not None:
        raise click.UsageError("--jobs is for local workers; with --scheduler the cluster decides")
    everything = report_only and grid_file is None and not process_given and not given
    runs = None
    if not everything:
        chosen = (
            grids.load_grid_file(grid_file)
            if grid_file is not None
            else [grids.grid_from_options(build_process(rules, base, p_x, clip), given)]
        )
        runs = [run for grid in chosen for run in grid.runs()]
        if not runs:
            raise EchoTheoryError("the grid is empty: it has no runs")
    if plot_path is not None:  # before a long sweep, not after it
        from echo_theory.atomic import check_output_path
        from echo_theory.plot import require_matplotlib

        check_output_path(plot_path, "--plot")
        require_matplotlib()
    from echo_theory.sweep.executors import DaskExecutor, LocalExecutor
    from echo_theory.sweep.report import plot_phase, report, sort_runs
    from echo_theory.sweep.runner import Interrupted, run_sweep
    from echo_theory.sweep.store import SweepStore

    executor = None
    if not report_only:
        if scheduler is not None:
            executor = DaskExecutor(scheduler)
            executor.connect()
        else:
            executor = LocalExecutor(jobs)
    try:
        with SweepStore.open(store, create=not report_only) as opened:
            if not report_only:
                progress = None if quiet or not sys.stderr.isatty() else SweepProgress()
                try:
                    tally = run_sweep(runs, opened, executor, retry_failed, progress)
                except Interrupted as stop:
                    if progress is not None:
                        progress.close()
                    name = signal.Signals(stop.signum).name
                    now = stop.tally.done + stop.tally.failed
                    click.echo(
                        f"Interrupted ({name}): {now} runs stored by this sweep, {len(opened)} in {store} in "
                        "all; the runs in flight were not. Run the same command to resume.",
                        err=True,
                    )
                    sys.exit(128 + stop.signum)
                finally:
                    if progress is not None:
                        progress.close()
                if not quiet:
                    _summary(tally, store, executor.where)
            found = sort_runs(opened.runs()) if runs is None else opened.runs(run.key for run in runs)
            if runs is not None and report_only and len(found) < len({run.key for run in runs}):
                missing = len({run.key for run in runs}) - len(found)
                click.echo(f"{missing} runs of the grid are not in {store} yet", err=True)
    finally:
        if isinstance(executor, DaskExecutor):
            executor.close()
    if plot_path is not None:
        plot_phase(found, plot_path)
    emit(report(found, fmt, store))
    if not report_only and tally.lost:
        for lost in tally.lost:
            click.echo(f"lost run {lost.key[:12]}: {lost.reason}", err=True)
        click.echo(f"{len(tally.lost)} runs lost; run the same command again to retry them", err=True)
        sys.exit(1)


def _summary(tally, store: str, where: str) -> None:
    stored = f"{tally.stored_before} already stored in {store}"
    if not tally.todo:
        click.echo(f"{tally.total} runs in the grid, all {stored}", err=True)
        return
    ran = f"{tally.finished} ran on {where} ({tally.done} done, {tally.failed} failed"
    ran += f", {len(tally.lost)} lost)" if tally.lost else ")"
    click.echo(f"{tally.total} runs in the grid: {ran}, {stored}", err=True)
