"""The training curve as a PNG, PDF or SVG (the file's suffix says which), with a dashed line
at each subset's exact value, as in the post.

matplotlib is an optional extra (``pip install 'echo-theory[plot]'``); it is imported only here,
and only the object-oriented API is used (no pyplot, no global backend switch).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .atomic import atomic_output, check_output_path
from .errors import DependencyError, SettingError
from .rules import format_lags

if TYPE_CHECKING:
    from .training import TrainResult

INSTALL_HINT = "pip install 'echo-theory[plot]'"
FORMATS = ("png", "pdf", "svg")  # matplotlib writes each with no extra package


def require_matplotlib() -> None:
    """Fail early, before a long run, when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise DependencyError(f"--plot needs matplotlib, an optional extra: {INSTALL_HINT}") from None


def check_target(path: str | os.PathLike) -> Path:
    """The plot's path, checked before training: a writable place, and a suffix that names the
    format (.png, .pdf or .svg)."""
    path = check_output_path(path, "--plot")
    plot_format(path)
    return path


def plot_format(path: str | os.PathLike) -> str:
    """The format the file's suffix names: png, pdf or svg (in any case)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        given = f"ends in {Path(path).suffix!r}" if suffix else "has no suffix"
        raise SettingError(
            f"--plot: {str(path)!r} {given}; give a name ending in {', '.join('.' + f for f in FORMATS)}"
        )
    return suffix


def plot_training(result: TrainResult | Sequence[TrainResult], path: str | os.PathLike) -> None:
    """Draw the training loss by window, the held-out loss, and the exact reference values;
    for several results (seeds of one setting), one curve per seed."""
    require_matplotlib()
    results = (result,) if not isinstance(result, Sequence) else tuple(result)
    result = results[0]
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = check_target(path)
    settings = result.settings
    figure = Figure(figsize=(8, 4.8), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    done = [(point.epoch - 1) * settings.windows + point.window for point in result.history]
    for i, run in enumerate(results):
        seed = f" (seed {run.settings.seed})" if len(results) > 1 else ""
        axes.plot(
            done,
            [point.train_loss for point in run.history],
            color=f"C{i % 10}",
            label=f"training loss{seed}",
        )
        axes.plot(
            [done[-1]],
            [run.final_loss],
            "o",
            color=f"C{i % 10}" if len(results) > 1 else "C3",
            label=f"held-out loss {run.final_loss:.4f}{seed}",
        )
    # One dashed line per distinct value; subsets that share it share the label.
    levels: dict[float, list[str]] = {}
    for reference in result.references:
        levels.setdefault(round(reference.cross_entropy.value, 12), []).append(format_lags(reference.learned))
    reference = "window optimum" if settings.reset_state else "H(Y | X_S)"
    for i, (value, names) in enumerate(sorted(levels.items(), reverse=True)):
        label = f"{reference} of a learned subset" if i == 0 else None
        axes.axhline(value, linestyle="--", linewidth=0.8, color="0.4", label=label)
        axes.annotate(
            f"{' = '.join(names)}: {value:.4f}",
            (0.0, value),
            xycoords=("axes fraction", "data"),
            xytext=(4, 2),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=8,
            color="0.3",
        )
    protocol = "state reset at every window" if settings.reset_state else "state carried"
    style = ""
    if settings.truncation == "true":
        style = ", true truncation"
        protocol = "state reset T steps before every loss" if settings.reset_state else "state carried"
    axes.set_title(
        f"{result.process.describe()}\n{settings.cell.upper()}, T = {settings.num_steps}, "
        f"H = {settings.state_size}, {protocol}{style}",
        fontsize=9,
    )
    axes.set_xlabel("windows (updates)")
    axes.set_ylabel("cross entropy (nats)")
    axes.legend(loc="upper right", fontsize=8)
    # Drawn into a temporary file renamed at the end: an error or a signal midway leaves no
    # partial file, and an existing one of that name as it was.
    with atomic_output(path, "wb") as handle:
        figure.savefig(handle, format=plot_format(path), dpi=110)
