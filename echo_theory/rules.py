"""Lag rules, ``LAG:SHIFT``: P(y_t = 1) moves by SHIFT when x[t-LAG] = 1.

rule  := lag ":" shift
lag   := [0-9]+          (0 means y_t depends on x_t itself)
shift := a number or a signed symbol name (see ``literals``)
lags  := "none" | lag ("," lag)*      (a set of learned lags, as in ``--learned 3,8``)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Union

from .errors import ParseError
from .literals import _show, format_fraction, parse_shift, symbol_name_problem

if TYPE_CHECKING:
    import sympy

Shift = Union[Fraction, "sympy.Expr"]

MAX_LAG = 1_000_000  # a sampler keeps max-lag inputs in memory; beyond this is a typo
_LAG = re.compile(r"[0-9]+")
_SIGNED_INT = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Rule:
    """P(y_t = 1) moves by ``shift`` when x[t - lag] = 1.

    ``shift`` is an exact ``Fraction`` or a SymPy expression in real symbols.
    """

    lag: int
    shift: Shift

    def __post_init__(self) -> None:
        if isinstance(self.lag, bool) or not isinstance(self.lag, int):
            raise ParseError(f"lag {self.lag!r} is not a whole number")
        if not 0 <= self.lag <= MAX_LAG:
            raise ParseError(f"lag {self.lag} is outside 0..{MAX_LAG}")
        shift = self.shift
        if isinstance(shift, str):
            shift = parse_shift(shift, f"rule {self.lag}")
        elif isinstance(shift, int) and not isinstance(shift, bool):
            shift = Fraction(shift)
        elif not isinstance(shift, Fraction):
            shift = _symbolic_shift(shift, self.lag)
        object.__setattr__(self, "shift", shift)

    @property
    def is_symbolic(self) -> bool:
        return not isinstance(self.shift, Fraction)

    @property
    def shift_text(self) -> str:
        """The shift as exact text: ``1/2``, ``-1/4``, ``-b``."""
        return format_fraction(self.shift) if isinstance(self.shift, Fraction) else str(self.shift)

    def __str__(self) -> str:
        text = self.shift_text
        return f"{self.lag}:{text if text.startswith('-') else '+' + text}"


def parse_rule(text: str) -> Rule:
    """Parse ``LAG:SHIFT``.

    >>> parse_rule("3:+0.5")
    Rule(lag=3, shift=Fraction(1, 2))
    >>> str(parse_rule("8:-b"))
    '8:-b'
    """
    if not isinstance(text, str):
        raise ParseError(f"rule: expected text such as 3:+0.5, got {type(text).__name__}")
    lag_text, colon, shift_text = text.strip().partition(":")
    if not colon:
        raise ParseError(f"rule {_show(text)} is not LAG:SHIFT (for example 3:+0.5)")
    lag = _parse_lag(lag_text, f"rule {_show(text)}")
    return Rule(lag, parse_shift(shift_text, f"rule {_show(text)}: shift"))


def parse_rules(texts: list[str] | tuple[str, ...]) -> tuple[Rule, ...]:
    """Parse several ``LAG:SHIFT`` texts."""
    return tuple(parse_rule(text) for text in texts)


def parse_lags(text: str) -> tuple[int, ...]:
    """Parse a set of lags: ``3,8`` or ``none`` (the empty set). Sorted, duplicates dropped."""
    if not isinstance(text, str):
        raise ParseError(f"lags: expected text such as 3,8 or none, got {type(text).__name__}")
    stripped = text.strip()
    if stripped.lower() == "none":
        return ()
    if not stripped:
        raise ParseError("lags: empty; give lags such as 3,8, or none")
    where = f"lags {_show(text)}"  # once: quoting the text for every part would be quadratic
    return tuple(sorted({_parse_lag(part, where) for part in stripped.split(",")}))


def _parse_lag(text: str, where: str) -> int:
    stripped = text.strip()
    if _LAG.fullmatch(stripped):
        if len(stripped.lstrip("0")) > len(str(MAX_LAG)):  # too large, whatever its digits
            raise ParseError(f"{where}: lag {_show(stripped)} is beyond the largest lag, {MAX_LAG}")
        lag = int(stripped)
        if lag <= MAX_LAG:
            return lag
        raise ParseError(f"{where}: lag {lag} is beyond the largest lag, {MAX_LAG}")
    if _SIGNED_INT.fullmatch(stripped) and stripped.startswith("-"):
        raise ParseError(f"{where}: the lag must be an integer >= 0, not {stripped}")
    raise ParseError(f"{where}: the lag {_show(stripped)} is not a whole number >= 0")


def _symbolic_shift(shift: object, lag: int) -> Shift:
    import sympy

    if not isinstance(shift, sympy.Expr):
        raise ParseError(f"rule {lag}: shift {shift!r} is not a Fraction, int or SymPy expression")
    if shift.is_Rational:
        return Fraction(int(shift.p), int(shift.q))
    if not shift.free_symbols or not all(s.is_real for s in shift.free_symbols):
        raise ParseError(f"rule {lag}: shift {shift} is neither a rational number nor in real symbols")
    for symbol in sorted(shift.free_symbols, key=str):
        problem = symbol_name_problem(symbol.name)
        if problem is not None:
            raise ParseError(f"rule {lag}: {symbol.name!r} is not a usable symbol name: {problem}")
    return shift


def format_lags(lags: tuple[int, ...] | list[int]) -> str:
    """The inverse of ``parse_lags``: ``3,8`` or ``none``."""
    return ",".join(map(str, lags)) if lags else "none"
