"""echo-theory: exactly what a sequence model can learn of lagged echoes of its input.

>>> from echo_theory import EchoProcess
>>> process = EchoProcess(["3:+0.5", "8:-0.25"])
>>> round(process.cross_entropy([3]).value, 4)
0.5192
"""

import importlib

from .budget import DEFAULT_BUDGET, work_budget
from .errors import (
    DependencyError,
    EchoTheoryError,
    LimitError,
    ParseError,
    ProcessError,
    SettingError,
    TrainingError,
)
from .exact import MarginalCell, MarginalSum, MarginalTerm, all_subsets
from .process import EchoProcess
from .results import SubsetEntropy, SubsetTable
from .rules import Rule, format_lags, parse_lags, parse_rule, parse_rules
from .settings import TrainSettings
from .value import ExactValue

# The derivations, the simulation and the RNN load on first use (PEP 562): the exact engine
# and its command stay free of their import time (NumPy's above all).
_LAZY = {
    "Derivation": "derivation",
    "derive": "derivation",
    "CountTable": "estimate",
    "EntropyEstimate": "estimate",
    "EstimateTable": "estimate",
    "count_table": "estimate",
    "entropy_estimate": "estimate",
    "estimate_series": "estimate",
    "estimate_table": "estimate",
    "iter_chunks": "sampler",
    "sample_series": "sampler",
    "load_series": "series",
    "write_series": "series",
    "write_sample": "samplefile",
    "SimulationTable": "simulation",
    "simulate": "simulation",
    "Score": "diagnosis",
    "score": "diagnosis",
    "TrainResult": "training",
    "train": "training",
    "train_seeds": "training",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_BUDGET",
    "CountTable",
    "DependencyError",
    "Derivation",
    "EchoProcess",
    "EchoTheoryError",
    "EntropyEstimate",
    "EstimateTable",
    "ExactValue",
    "LimitError",
    "MarginalCell",
    "MarginalSum",
    "MarginalTerm",
    "ParseError",
    "ProcessError",
    "Rule",
    "Score",
    "SettingError",
    "SimulationTable",
    "SubsetEntropy",
    "SubsetTable",
    "TrainResult",
    "TrainSettings",
    "TrainingError",
    "all_subsets",
    "count_table",
    "derive",
    "entropy_estimate",
    "estimate_series",
    "estimate_table",
    "format_lags",
    "iter_chunks",
    "load_series",
    "parse_lags",
    "parse_rule",
    "parse_rules",
    "sample_series",
    "score",
    "simulate",
    "train",
    "train_seeds",
    "work_budget",
    "write_sample",
    "write_series",
]

__version__ = "0.1.0"
