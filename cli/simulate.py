"""``echo-theory simulate``: Monte Carlo estimates of H(Y | X_S) beside the exact values."""

from __future__ import annotations

import sys
import time

import click

from echo_theory.literals import parse_count

from .options import WholeNumber, build_process, format_option, learned_option, process_options, units_option
from .output import emit, to_json

_BAR_AFTER = 0.5  # seconds: a shorter run never shows a bar
# echo_theory.simulation.BLOCKS (a test keeps them equal): importing it here would load numpy
# for every command, and `compute` starts faster without it
_BLOCKS = 64


class _Progress:
    """A progress bar on stderr, shown only once a run has lasted a moment, and only on a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.enabled = total, enabled
        self.start, self.done, self.bar = time.monotonic(), 0, None

    def __call__(self, steps: int) -> None:
        self.done += steps
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.start < _BAR_AFTER:
                return
            self.bar = click.progressbar(length=self.total, label="simulating", file=sys.stderr)
            self.bar.__enter__()
            self.bar.update(self.done)
        else:
            self.bar.update(steps)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command()
@process_options(symbols=False)
@click.option(
    "--samples",
    default="1e6",
    show_default=True,
    metavar="N",
    help="Steps to simulate: 10000000 or 1e7 (a whole number, 1000 to 1e12).",
)
@click.option("--seed", type=WholeNumber(0), default=0, show_default=True, help="Seed (>= 0).")
@click.option(
    "--jobs",
    type=WholeNumber(1, _BLOCKS),
    default=1,
    show_default=True,
    help="Worker processes. The counts are the same for any number.",
)
@learned_option
@units_option
@format_option("table", "json", "csv", "markdown")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def simulate(rules, base, p_x, clip, samples, seed, jobs, learned, units, fmt, quiet) -> None:
    """Simulate the process and put estimates of each cross entropy beside the exact values.

    Each row: the plug-in estimate of H(Y | X_S) from the simulated series, its standard error
    (from 64 independent blocks), the exact value, z = (estimate - exact) / stderr, and a
    verdict: agrees (|z| < 3), borderline (|z| < 5) or disagrees. The same seed gives the same
    numbers for any --jobs. A progress bar shows on stderr when it is a terminal.

    \b
    echo-theory simulate --rule 3:+0.5 --rule 8:-0.25 --samples 1e7 --seed 0
    """
    from echo_theory.simulation import check_samples
    from echo_theory.simulation import simulate as run_simulation

    process = build_process(rules, base, p_x, clip)
    count = check_samples(parse_count(samples, "--samples"), "--samples")
    progress = _Progress(count, enabled=not quiet and sys.stderr.isatty())
    try:
        table = run_simulation(
            process, count, seed, list(learned) if learned else None, units, jobs=jobs, progress=progress
        )
    finally:
        progress.close()
    if fmt == "json":
        text = to_json(table.to_dict())
    else:
        text = {"table": table.to_text, "csv": table.to_csv, "markdown": table.to_markdown}[fmt]()
    emit(text)
