"""Sweeps: many trainings over a grid of settings and seeds, stored in SQLite as each ends.

>>> from echo_theory import EchoProcess
>>> from echo_theory.sweep import Grid
>>> grid = Grid(EchoProcess(["3:+0.5"]), {"num_steps": [1, 5], "seed": [0, 1], "series_length": [4000]})
>>> len(grid.runs())
4

``run_sweep(grid.runs(), SweepStore.open("sweep.db"))`` trains what the store does not hold
yet (on every core by default; ``DaskExecutor("tcp://host:8786")`` for a cluster), and
``to_frame("sweep.db")`` reads the results as a pandas DataFrame.

One module per concept: ``grid`` (comma lists, ranges, the TOML grid file), ``run`` (a run,
its key, what a worker does), ``store`` (the SQLite file), ``executors`` (local processes,
Dask), ``runner`` (the sweep itself) and ``report`` (tables, DataFrame, phase diagram).
"""

import importlib

# Loaded on first use (PEP 562): the command line reads the grid's option table at start-up
# and should not pay for SQLite, the executors or pandas then.
_LAZY = {
    "DaskExecutor": "executors",
    "LocalExecutor": "executors",
    "Lost": "executors",
    "SchedulerError": "executors",
    "AXES": "grid",
    "Grid": "grid",
    "GridError": "grid",
    "grid_from_options": "grid",
    "load_grid_file": "grid",
    "parse_list": "grid",
    "plot_phase": "report",
    "report": "report",
    "to_frame": "report",
    "Run": "run",
    "execute": "run",
    "run_key": "run",
    "Interrupted": "runner",
    "Tally": "runner",
    "run_sweep": "runner",
    "StoredRun": "store",
    "StoreError": "store",
    "SweepStore": "store",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AXES",
    "DaskExecutor",
    "Grid",
    "GridError",
    "Interrupted",
    "LocalExecutor",
    "Lost",
    "Run",
    "SchedulerError",
    "StoreError",
    "StoredRun",
    "SweepStore",
    "Tally",
    "execute",
    "grid_from_options",
    "load_grid_file",
    "parse_list",
    "plot_phase",
    "report",
    "run_key",
    "run_sweep",
    "to_frame",
]
