"""One run of a sweep: ``train`` with a process, full settings and a seed; its key; and what a
worker does with it.

A run is keyed by the SHA-256 of its canonical JSON (sorted keys, no spaces): the process (its
canonical rule texts, base, p_x, clip) and the full TrainSettings, seed included. Settings that
TrainSettings gains later (after format 1 of the store) enter the key only when they differ
from their default, so a store stays valid as the settings grow.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from .. import __version__
from ..errors import TrainingError
from ..settings import TrainSettings

# The TrainSettings fields of format 1 of the store: always part of the key.
KEY_FIELDS_V1 = frozenset(
    {
        "num_steps",
        "state_size",
        "batch_size",
        "epochs",
        "series_length",
        "learning_rate",
        "optimizer",
        "reset_state",
        "clip_norm",
        "seed",
    }
)


def canonical_json(data: object) -> str:
    """JSON with sorted keys and no spaces: one text for one value.

    >>> canonical_json({"b": [1, 2.5], "a": None})
    '{"a":null,"b":[1,2.5]}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False, default=_plain)


def _plain(value: object) -> object:
    """What the JSON encoder does not know: exact fractions as text, NumPy scalars and arrays."""
    if isinstance(value, Fraction):
        return str(value)
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON data")


def plain_data(value: object) -> object:
    """JSON-ready data: keys as text, tuples as lists, NumPy values as Python ones, and any
    float that is not finite as None (standard JSON has no nan).

    >>> plain_data({1: (float("nan"), Fraction(1, 3))})
    {'1': [None, '1/3']}
    """
    if isinstance(value, dict):
        return {str(key): plain_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(item) for item in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return plain_data(_plain(value))


def _key_settings(settings: Mapping) -> dict:
    defaults = {field.name: field.default for field in dataclasses.fields(TrainSettings)}
    return {
        name: value
        for name, value in settings.items()
        if name in KEY_FIELDS_V1 or name not in defaults or value != defaults[name]
    }


def run_key(process: Mapping, settings: Mapping) -> str:
    """The run's key: SHA-256 of the canonical JSON of its process and settings (with the seed)."""
    text = canonical_json({"process": process, "settings": _key_settings(settings)})
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Run:
    """A run to do: the process as canonical data (``grid.process_spec``) and full settings."""

    key: str
    process: Mapping
    settings: Mapping

    @classmethod
    def of(cls, process: Mapping, settings: Mapping) -> Run:
        return cls(run_key(process, settings), process, dict(settings))

    @property
    def seed(self) -> int:
        return self.settings["seed"]

    def task(self) -> dict:
        """What a worker receives: plain data, picklable by any executor."""
        return {"key": self.key, "process": dict(self.process), "settings": dict(self.settings)}


def execute(task: Mapping) -> dict:
    """Train one run in this process: the outcome as plain data, never an exception.

    A run that diverges (TrainingError), or fails in any other way, comes back with status
    "failed" and its one-line message; the sweep stores it and goes on.
    """
    import socket

    from ..training import train  # NumPy loads in the worker, not in the parent's CLI
    from .grid import build_process

    start = time.perf_counter()
    outcome = {"key": task["key"], "status": "done", "message": None, "result": None}
    try:
        result = train(build_process(task["process"]), TrainSettings(**task["settings"]))
        outcome["result"] = plain_data(result.to_dict())
    except TrainingError as error:
        outcome.update(status="failed", message=" ".join(str(error).split()))
    except Exception as error:  # a worker never dies of one run: the sweep records it and goes on
        outcome.update(status="failed", message=f"{type(error).__name__}: {' '.join(str(error).split())}")
    outcome.update(seconds=time.perf_counter() - start, version=__version__, host=socket.gethostname())
    return outcome


def finite_or_none(value: object) -> float | None:
    """A float column's value, or None for anything that is not a finite number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None
