"""echo-theory: exactly what a sequence model can learn of lagged echoes of its input.

>>> from echo_theory import EchoProcess
>>> process = EchoProcess(["3:+0.5", "8:-0.25"])
>>> round(process.cross_entropy([3]).value, 4)
0.5192
"""

from .derivation import Derivation, derive
from .errors import EchoTheoryError, LimitError, ParseError, ProcessError
from .exact import MarginalCell, MarginalSum, MarginalTerm, all_subsets
from .process import MAX_RULES, MAX_SYMBOLIC_RULES, EchoProcess
from .results import SubsetEntropy, SubsetTable
from .rules import Rule, format_lags, parse_lags, parse_rule, parse_rules
from .value import ExactValue

__all__ = [
    "MAX_RULES",
    "MAX_SYMBOLIC_RULES",
    "Derivation",
    "EchoProcess",
    "EchoTheoryError",
    "ExactValue",
    "LimitError",
    "MarginalCell",
    "MarginalSum",
    "MarginalTerm",
    "ParseError",
    "ProcessError",
    "Rule",
    "SubsetEntropy",
    "SubsetTable",
    "all_subsets",
    "derive",
    "format_lags",
    "parse_lags",
    "parse_rule",
    "parse_rules",
]

__version__ = "0.1.0"
