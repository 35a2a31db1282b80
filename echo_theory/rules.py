"""Rules: P(y_t = 1) moves by SHIFT when the rule's condition on past inputs holds.

rule      := condition ":" shift
condition := lag                      x[t-lag] = 1                          (kind "lag")
           | lag ("&" lag)+           every listed x[t-lag] is 1 (AND)      (kind "and")
           | lag ("^" lag)+           an odd number of them are 1 (XOR)     (kind "xor")
lag       := [0-9]+          (0 means y_t depends on x_t itself)
shift     := a number or a signed symbol name (see ``literals``)
lags      := "none" | lag ("," lag)*      (a set of learned lags, as in ``--learned 3,8``)

A condition lists each lag once, uses one operator (no precedence is defined, so ``3&8^2``
is an error) and holds no spaces. Canonical text sorts the lags: ``8&3:0.25`` is ``3&8:+1/4``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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


KINDS = ("lag", "and", "xor")
_OPERATORS = {"and": "&", "xor": "^"}
_KIND_OF = {"&": "and", "^": "xor"}


@dataclass(frozen=True, init=False, repr=False)
class Rule:
    """P(y_t = 1) moves by ``shift`` when the condition on x[t - lag] for ``lags`` holds.

    ``kind`` is "lag" (one lag: x[t-lag] = 1), "and" (every lag's input is 1) or "xor" (an odd
    number of them are 1); "and" and "xor" take two lags or more. ``lags`` is sorted.
    ``shift`` is an exact ``Fraction`` or a SymPy expression in real symbols.

    >>> Rule(3, "0.5"), Rule((8, 3), "2/5", "xor")
    (Rule(lag=3, shift=Fraction(1, 2)), Rule(lags=(3, 8), shift=Fraction(2, 5), kind='xor'))
    """

    lags: tuple[int, ...]
    shift: Shift
    kind: str

    def __init__(self, lags: int | Iterable[int], shift: Shift | str | int, kind: str = "lag") -> None:
        if kind not in KINDS:
            raise ParseError(f"rule kind {kind!r} is not one of {', '.join(KINDS)}")
        given = (lags,) if isinstance(lags, int) else tuple(lags)
        for lag in given:
            if isinstance(lag, bool) or not isinstance(lag, int):
                raise ParseError(f"lag {lag!r} is not a whole number")
            if not 0 <= lag <= MAX_LAG:
                raise ParseError(f"lag {lag} is outside 0..{MAX_LAG}")
        where = "rule " + _OPERATORS.get(kind, "&").join(map(str, given))
        if kind == "lag" and len(given) != 1:
            raise ParseError(f"{where}: a lag rule has one lag; join several with & (and) or ^ (xor)")
        if kind != "lag" and len(given) < 2:
            raise ParseError(f"{where}: an {kind} rule needs two lags or more (one lag is a lag rule)")
        _check_distinct(given, where)
        object.__setattr__(self, "lags", tuple(sorted(given)))
        object.__setattr__(self, "kind", kind)
        where = f"rule {self.condition_text}"
        if isinstance(shift, str):
            shift = parse_shift(shift, where)
        elif isinstance(shift, int) and not isinstance(shift, bool):
            shift = Fraction(shift)
        elif not isinstance(shift, Fraction):
            shift = _symbolic_shift(shift, where)
        object.__setattr__(self, "shift", shift)

    @property
    def lag(self) -> int:
        """The lag of a single-lag rule (kind "lag"); interaction rules have ``lags`` only."""
        if self.kind != "lag":
            raise AttributeError(f"rule {self} has {len(self.lags)} lags: read rule.lags, not rule.lag")
        return self.lags[0]

    @property
    def is_symbolic(self) -> bool:
        return not isinstance(self.shift, Fraction)

    @property
    def shift_text(self) -> str:
        """The shift as exact text: ``1/2``, ``-1/4``, ``-b``."""
        return format_fraction(self.shift) if isinstance(self.shift, Fraction) else str(self.shift)

    @property
    def condition_text(self) -> str:
        """The condition in the rule language: ``3``, ``3&8``, ``3^8``."""
        return _OPERATORS.get(self.kind, "").join(map(str, self.lags))

    def holds(self, inputs: Mapping[int, int]) -> bool:
        """Whether the condition holds for the inputs ``{lag: x[t-lag]}`` (0 or 1 each)."""
        ones = sum(1 for lag in self.lags if inputs[lag])
        return ones % 2 == 1 if self.kind == "xor" else ones == len(self.lags)

    def __str__(self) -> str:
        text = self.shift_text
        return f"{self.condition_text}:{text if text.startswith('-') else '+' + text}"

    def __repr__(self) -> str:
        if self.kind == "lag":
            return f"Rule(lag={self.lags[0]}, shift={self.shift!r})"
        return f"Rule(lags={self.lags!r}, shift={self.shift!r}, kind={self.kind!r})"


def parse_rule(text: str) -> Rule:
    """Parse ``CONDITION:SHIFT``: ``3:+0.5``, ``3&8:+0.25`` or ``3^8:+0.4``.

    >>> parse_rule("3:+0.5")
    Rule(lag=3, shift=Fraction(1, 2))
    >>> str(parse_rule("8:-b")), str(parse_rule("8^3:0.4"))
    ('8:-b', '3^8:+2/5')
    """
    if not isinstance(text, str):
        raise ParseError(f"rule: expected text such as 3:+0.5, got {type(text).__name__}")
    stripped = text.strip()
    where = f"rule {_show(text)}"
    condition, colon, shift_text = stripped.partition(":")
    if not colon:
        if "&" in stripped or "^" in stripped:
            _parse_condition(stripped, where)  # a malformed condition says so first
            raise ParseError(f"{where} has no shift: write CONDITION:SHIFT (for example 3&8:+0.25)")
        raise ParseError(f"{where} is not LAG:SHIFT (for example 3:+0.5)")
    lags, kind = _parse_condition(condition, where)
    return Rule(lags, parse_shift(shift_text, f"{where}: shift"), kind)


def _parse_condition(text: str, where: str) -> tuple[tuple[int, ...], str]:
    """``3`` -> ((3,), "lag"); ``3&8`` -> ((3, 8), "and"); ``3^8`` -> ((3, 8), "xor")."""
    stripped = text.strip()
    operators = [op for op in _KIND_OF if op in stripped]
    if not operators:
        return (_parse_lag(stripped, where),), "lag"
    if len(operators) > 1:
        raise ParseError(
            f"{where}: the condition {_show(stripped)} mixes & (and) with ^ (xor); no precedence is "
            f"defined, so give one operator per rule"
        )
    (op,) = operators
    if any(char.isspace() for char in stripped):
        raise ParseError(f"{where}: the condition {_show(stripped)} has spaces inside; write it without them")
    parts = stripped.split(op)
    for i, part in enumerate(parts):
        if not part:
            if i == 0:
                raise ParseError(f"{where}: '{op}' has no lag before it")
            if i == len(parts) - 1:
                raise ParseError(f"{where}: '{op}' has no lag after it")
            raise ParseError(f"{where}: '{op}{op}' has no lag between its two '{op}'")
    lags = tuple(_parse_lag(part, where) for part in parts)
    _check_distinct(lags, where)
    return tuple(sorted(lags)), _KIND_OF[op]


def _check_distinct(lags: tuple[int, ...], where: str) -> None:
    seen: set[int] = set()
    for lag in lags:
        if lag in seen:
            raise ParseError(f"{where}: lag {lag} appears twice in the condition; give each lag once")
        seen.add(lag)


def parse_rules(texts: list[str] | tuple[str, ...]) -> tuple[Rule, ...]:
    """Parse several rule texts."""
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


def _symbolic_shift(shift: object, where: str) -> Shift:
    import sympy

    if not isinstance(shift, sympy.Expr):
        raise ParseError(f"{where}: shift {shift!r} is not a Fraction, int or SymPy expression")
    if shift.is_Rational:
        return Fraction(int(shift.p), int(shift.q))
    if not shift.free_symbols or not all(s.is_real for s in shift.free_symbols):
        raise ParseError(f"{where}: shift {shift} is neither a rational number nor in real symbols")
    for symbol in sorted(shift.free_symbols, key=str):
        problem = symbol_name_problem(symbol.name)
        if problem is not None:
            raise ParseError(f"{where}: {symbol.name!r} is not a usable symbol name: {problem}")
    return shift


def format_lags(lags: tuple[int, ...] | list[int]) -> str:
    """The inverse of ``parse_lags``: ``3,8`` or ``none``."""
    return ",".join(map(str, lags)) if lags else "none"
