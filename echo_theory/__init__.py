"""echo-theory: exactly what a sequence model can learn of lagged echoes of its input.

>>> from echo_theory import EchoProcess
>>> process = EchoProcess(["3:+0.5", "8:-0.25"])
>>> round(process.cross_entropy([3]).value, 4)
0.5192
"""

import importlib

from .errors import (
    DependencyError,
    EchoTheoryError,
    LimitError,
    ParseError,
    ProcessError,
    SettingError,
    TrainingError,
)
from .exact import MarginalCell, all_subsets
from .process import MAX_RULES, EchoProcess
from .results import SubsetEntropy, SubsetTable
from .rules import Rule, format_lags, parse_lags, parse_rule, parse_rules
from .settings import TrainSettings
from .value import ExactValue

# The RNN's names load NumPy, so they are imported on first use only (PEP 562): the exact
# engine and its command stay free of NumPy's import time.
_LAZY = {"train": "training", "train_seeds": "training", "TrainResult": "training"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MAX_RULES",
    "DependencyError",
    "EchoProcess",
    "EchoTheoryError",
    "ExactValue",
    "LimitError",
    "MarginalCell",
    "ParseError",
    "ProcessError",
    "Rule",
    "SettingError",
    "SubsetEntropy",
    "SubsetTable",
    "TrainResult",
    "TrainSettings",
    "TrainingError",
    "all_subsets",
    "format_lags",
    "parse_lags",
    "parse_rule",
    "parse_rules",
    "train",
    "train_seeds",
]

__version__ = "0.1.0"
