"""Reading a sweep: its runs as a table (text, Markdown, CSV, JSON), a pandas DataFrame, and
the phase diagram (for each cell and protocol, T against state size, each square coloured by
the subset the seeds reached)."""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .. import render
from ..rules import format_lags
from ..settings import TrainSettings
from .grid import build_process
from .store import StoredRun, SweepStore

FORMATS = ("table", "json", "csv", "markdown")
_FIELD_ORDER = [field.name for field in dataclasses.fields(TrainSettings)]
_HEADERS = {"num_steps": "T", "state_size": "H", "reset_state": "protocol", "learning_rate": "lr"}


def process_text(process: dict) -> str:
    """The process in a short line: its rules, then base and p_x where not 1/2."""
    parts = [" ".join(process.get("rules", [])) or "no rules"]
    for name in ("base", "p_x"):
        if process.get(name, "1/2") != "1/2":
            parts.append(f"{name} {process[name]}")
    if process.get("clip"):
        parts.append("clip")
    return ", ".join(parts)


def _setting_text(name: str, value: object) -> str:
    if name == "reset_state":
        return "reset" if value else "carried"
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def sort_runs(runs: Sequence[StoredRun]) -> list[StoredRun]:
    """A stable reading order: by process, then settings in TrainSettings' field order."""

    def order(run: StoredRun):
        settings = tuple(_sortable(run.settings.get(name)) for name in _FIELD_ORDER)
        return (process_text(run.process), settings, run.key)

    return sorted(runs, key=order)


def _sortable(value: object) -> tuple:
    if value is None:
        return (0, 0, "")
    if isinstance(value, (bool, int, float)):
        return (1, float(value), "")
    return (2, 0, str(value))


def varying(runs: Sequence[StoredRun]) -> list[str]:
    """The settings (other than the seed) that take more than one value among the runs."""
    names = [name for name in _FIELD_ORDER if name != "seed"]
    names += sorted({name for run in runs for name in run.settings} - set(_FIELD_ORDER))
    return [name for name in names if len({repr(run.settings.get(name)) for run in runs}) > 1]


def _nearest(run: StoredRun) -> str:
    return "" if run.nearest is None else format_lags(run.nearest)


def _rows(runs: Sequence[StoredRun]) -> tuple[list[str], list[list[str]], list[bool]]:
    vary = varying(runs)
    several = len({process_text(run.process) for run in runs}) > 1
    verdicts = any(run.verdict is not None for run in runs)
    failures = any(run.status != "done" for run in runs)
    headers = (["process"] if several else []) + [_HEADERS.get(name, name) for name in vary]
    headers += ["seed", "status", "loss", "nearest"] + (["verdict"] if verdicts else []) + ["seconds"]
    headers += ["note"] if failures else []
    right = [False] * several + [
        name not in ("reset_state", "optimizer", "cell", "truncation") for name in vary
    ]
    right += [True, False, True, False] + [False] * verdicts + [True] + [False] * failures
    rows = []
    for run in runs:
        row = [process_text(run.process)] if several else []
        row += [_setting_text(name, run.settings.get(name)) for name in vary]
        row += [
            str(run.seed),
            run.status,
            "" if run.final_loss is None else f"{run.final_loss:.4f}",
            _nearest(run),
        ]
        row += [run.verdict or ""] if verdicts else []
        row += [f"{run.seconds:.1f}"]
        row += [run.message or ""] if failures else []
        rows.append(row)
    return headers, rows, right


def report(runs: Sequence[StoredRun], fmt: str, store: str | os.PathLike = "") -> str:
    """The runs in one of FORMATS."""
    if fmt == "json":
        return _json(runs, store)
    headers, rows, right = _rows(runs)
    if fmt == "csv":
        return render.csv_table(headers, rows)
    if fmt == "markdown":
        return render.markdown_table(headers, rows, right)
    if not runs:
        return "no runs stored\n"
    heading = process_text(runs[0].process) if len({process_text(r.process) for r in runs}) == 1 else ""
    fixed = _fixed_settings(runs)
    lines = [line for line in (heading, fixed) if line]
    return ("\n".join(lines) + "\n\n" if lines else "") + render.text_table(headers, rows, right)


def _fixed_settings(runs: Sequence[StoredRun]) -> str:
    """The settings every run shares, in one line (the table shows the others)."""
    vary = set(varying(runs)) | {"seed"}
    first = runs[0].settings
    shown = {"reset_state": "protocol"}
    return "; ".join(
        f"{shown.get(name, name)} {_setting_text(name, first[name])}" for name in first if name not in vary
    )


def _json(runs: Sequence[StoredRun], store: str | os.PathLike) -> str:
    from echo_theory.cli.output import to_json  # the commands' JSON layout

    return to_json({"store": str(store), "runs": [run_data(run) for run in runs]})


def run_data(run: StoredRun) -> dict:
    """One run as JSON data: key, process, settings, seed, status, final loss and the readout."""
    readout = {
        k: v
        for k, v in (run.result or {}).items()
        if k not in ("process", "settings", "final_loss", "history")
    }
    return {
        "key": run.key,
        "process": run.process,
        "settings": run.settings,
        "seed": run.seed,
        "status": run.status,
        "message": run.message,
        "final_loss": run.final_loss,
        "readout": readout,
        "seconds": run.seconds,
        "version": run.version,
    }


def to_frame(source: SweepStore | str | os.PathLike | Sequence[StoredRun]):
    """The runs as a pandas DataFrame, one row per run: key, process, every setting, seed,
    status, message, final_loss, nearest, verdict, the measured lag effects (effect_LAG),
    seconds and version.

    ``source`` is an open store, a store's path (opened read-only) or a list of stored runs.
    """
    import pandas as pd

    if isinstance(source, (str, os.PathLike)):
        with SweepStore.open(source, create=False) as store:
            runs = sort_runs(store.runs())
    elif isinstance(source, SweepStore):
        runs = sort_runs(source.runs())
    else:
        runs = list(source)
    records = []
    for run in runs:
        record = {"key": run.key, "process": process_text(run.process)}
        record.update(run.settings)
        record.update(
            status=run.status,
            message=run.message,
            final_loss=run.final_loss,
            nearest=None if run.nearest is None else format_lags(run.nearest),
            verdict=run.verdict,
        )
        for effect in (run.result or {}).get("lag_effects", []) or []:
            if isinstance(effect, dict) and "lag" in effect:
                record[f"effect_{effect['lag']}"] = effect.get("measured")
        record.update(seconds=run.seconds, version=run.version)
        records.append(record)
    return pd.DataFrame.from_records(records)


def plot_phase(runs: Sequence[StoredRun], path: str | os.PathLike) -> None:
    """The phase diagram as a PNG (through ``atomic_output``): one panel per process and per
    combination of the settings that vary other than T, H and the seed; each square is the
    subset most seeds reached, hatched where they disagree, with the mean loss written in it."""
    from ..atomic import atomic_output
    from ..plot import require_matplotlib

    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch, Rectangle

    done = [run for run in runs if run.status == "done" and run.nearest is not None]
    # Always one panel per cell and protocol (named even when they do not vary), then one per
    # value of any other setting that varies.
    always = [name for name in ("cell", "reset_state") if any(name in run.settings for run in runs)]
    vary = always + [name for name in varying(runs) if name not in ("num_steps", "state_size", *always)]
    panels: dict[tuple, list[StoredRun]] = {}
    for run in runs:
        panel = (process_text(run.process), *(_setting_text(n, run.settings.get(n)) for n in vary))
        panels.setdefault(panel, []).append(run)
    subsets = sorted({run.nearest for run in done}, key=lambda s: (len(s), s))
    colours = {subset: f"C{i % 10}" for i, subset in enumerate(subsets)}
    levels = {}
    for run in done:
        if run.nearest not in levels:
            levels[run.nearest] = build_process(run.process).cross_entropy(list(run.nearest)).value
    columns = min(len(panels), 2) or 1
    rows = (len(panels) + columns - 1) // columns or 1
    figure = Figure(figsize=(max(5.2 * columns, 8), 3.6 * rows + 1.2), layout="constrained")
    FigureCanvasAgg(figure)
    axes_grid = figure.subplots(rows, columns, squeeze=False)
    for axes in axes_grid.flat[len(panels) :]:
        axes.set_visible(False)
    for axes, (panel, members) in zip(axes_grid.flat, panels.items(), strict=False):
        steps = sorted({run.settings["num_steps"] for run in members})
        states = sorted({run.settings["state_size"] for run in members})
        for i, t in enumerate(steps):
            for j, h in enumerate(states):
                square = [
                    r for r in members if r.settings["num_steps"] == t and r.settings["state_size"] == h
                ]
                reached = Counter(r.nearest for r in square if r.status == "done" and r.nearest is not None)
                if not reached:
                    axes.add_patch(Rectangle((i - 0.5, j - 0.5), 1, 1, color="0.85"))
                    axes.text(i, j, "failed", ha="center", va="center", fontsize=7)
                    continue
                subset, votes = reached.most_common(1)[0]
                split = len(reached) > 1 or votes < len(square)
                axes.add_patch(
                    Rectangle(
                        (i - 0.5, j - 0.5),
                        1,
                        1,
                        facecolor=colours[subset],
                        alpha=0.75,
                        hatch="//" if split else None,
                        edgecolor="white",
                    )
                )
                losses = [r.final_loss for r in square if r.final_loss is not None]
                text = f"{sum(losses) / len(losses):.3f}" + (f"\n{votes}/{len(square)}" if split else "")
                axes.text(i, j, text, ha="center", va="center", fontsize=7)
        axes.set_xlim(-0.5, len(steps) - 0.5)
        axes.set_ylim(-0.5, len(states) - 0.5)
        axes.set_xticks(range(len(steps)), [str(t) for t in steps])
        axes.set_yticks(range(len(states)), [str(h) for h in states])
        axes.set_xlabel("window length T (num_steps)")
        axes.set_ylabel("state size H")
        title = panel[0] if len({p[0] for p in panels}) > 1 else ""
        details = ", ".join(
            f"state {v}" if n == "reset_state" else f"{_HEADERS.get(n, n)} {v}"
            for n, v in zip(vary, panel[1:], strict=True)
        )
        axes.set_title("\n".join(x for x in (title, details) if x) or "", fontsize=9)
    handles = [
        Patch(
            facecolor=colours[s], alpha=0.75, label=f"learned {format_lags(s)}: H(Y | X_S) = {levels[s]:.4f}"
        )
        for s in subsets
    ]
    handles.append(Patch(facecolor="white", edgecolor="0.3", hatch="//", label="seeds disagree (most / all)"))
    figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize=8)
    if len({p[0] for p in panels}) == 1 and panels:
        figure.suptitle(
            next(iter(panels))[0] + "\nthe subset the seeds reached (nearest), mean held-out loss", fontsize=9
        )
    with atomic_output(Path(path), "wb") as handle:
        figure.savefig(handle, format="png", dpi=110)
