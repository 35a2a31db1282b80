"""When symbolic shifts make a valid process: 0 <= P(y=1 | x) <= 1 for every configuration.

Each symbolic table entry gives two inequalities. Entries are usually linear in the symbols
(base + a sum of signed shifts), so each becomes an interval on a normalized linear form: the
constant moved to the bounds, integer coefficients with no common factor, the first positive.
Entries with the same form merge into one (tighter) interval, and a condition on several
symbols is dropped when the one-symbol intervals already imply it (its range over their box
lies inside its interval). An entry that is not linear keeps its plain 0 <= p <= 1.

>>> from echo_theory import EchoProcess
>>> [str(c) for c in validity_conditions(EchoProcess(["3:a", "8:-b"]))]
['-1/2 <= a <= 1/2', '-1/2 <= b <= 1/2', '-1/2 <= a - b <= 1/2']
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from .literals import format_fraction

if TYPE_CHECKING:
    import sympy

    from .process import EchoProcess


@dataclass(frozen=True)
class Condition:
    """lower <= expression <= upper, with exact rational bounds."""

    expression: sympy.Expr
    lower: Fraction
    upper: Fraction

    @property
    def symbols(self) -> tuple:
        return tuple(sorted(self.expression.free_symbols, key=lambda s: s.name))

    @property
    def is_satisfiable(self) -> bool:
        """False when the merged bounds cross (no value meets them). Only a one-symbol linear
        condition is sure to be satisfiable otherwise; others are left to the reader."""
        return self.lower <= self.upper

    def holds(self, values: Mapping) -> bool:
        """Whether exact values (``{symbol: Rational}``) satisfy the condition."""
        value = self.expression.subs(values)
        if not value.is_Rational:
            raise ValueError(f"{self.expression} needs a value for every symbol")
        number = Fraction(int(value.p), int(value.q))
        return self.lower <= number <= self.upper

    def __str__(self) -> str:
        return f"{format_fraction(self.lower)} <= {self.expression} <= {format_fraction(self.upper)}"


def validity_conditions(process: EchoProcess) -> tuple[Condition, ...]:
    """The conditions on the symbols under which every P(y=1 | x) lies in [0, 1].

    Empty for a numeric process, and for a clipped one: clipping keeps every entry in [0, 1]
    whatever the symbols are. One-symbol conditions come first, by symbol name.
    """
    if process.clip:
        return ()
    bounds: dict = {}  # normalized form -> [lower, upper], in table order
    for p in process.table:
        if isinstance(p, Fraction):
            continue
        form, lower, upper = _interval(p)
        if form in bounds:
            bounds[form] = [max(bounds[form][0], lower), min(bounds[form][1], upper)]
        else:
            bounds[form] = [lower, upper]
    conditions = [Condition(form, lower, upper) for form, (lower, upper) in bounds.items()]
    single = sorted((c for c in conditions if len(c.symbols) == 1), key=lambda c: c.symbols[0].name)
    box = {c.expression: (c.lower, c.upper) for c in single if c.expression.is_Symbol}
    several = [c for c in conditions if len(c.symbols) != 1 and not _implied(c, box)]
    return tuple(single + several)


def _interval(p: sympy.Expr) -> tuple[sympy.Expr, Fraction, Fraction]:
    """0 <= p <= 1 as lower <= form <= upper, with the form normalized when p is linear."""
    import sympy

    symbols = sorted(p.free_symbols, key=lambda s: s.name)
    try:
        poly = sympy.Poly(p, *symbols)
    except sympy.PolynomialError:  # not a polynomial (a library user's sin(a)): keep it whole
        return p, Fraction(0), Fraction(1)
    if poly.total_degree() > 1 or not all(c.is_Rational for c in poly.coeffs()):
        return p, Fraction(0), Fraction(1)
    coefficients = [poly.coeff_monomial(s) for s in symbols]
    constant = _fraction(poly.coeff_monomial(1))
    ratios = [_fraction(c) for c in coefficients]
    # scale so the coefficients are coprime integers and the first nonzero one is positive
    denominators = math.lcm(*(r.denominator for r in ratios))
    numerators = [int(r * denominators) for r in ratios]
    divisor = math.gcd(*numerators)
    first = next(n for n in numerators if n)
    scale = Fraction(denominators, divisor if first > 0 else -divisor)
    form = sympy.Add(*(sympy.Integer(int(r * scale)) * s for r, s in zip(ratios, symbols, strict=True)))
    # 0 <= form / scale + constant <= 1
    low, high = -constant * scale, (1 - constant) * scale
    return form, min(low, high), max(low, high)


def _implied(condition: Condition, box: Mapping) -> bool:
    """True when every point of the one-symbol intervals meets a linear condition."""
    import sympy

    expression = condition.expression
    symbols = condition.symbols
    if any(s not in box for s in symbols):
        return False
    try:
        poly = sympy.Poly(expression, *symbols)
    except sympy.PolynomialError:
        return False
    if poly.total_degree() > 1 or not all(c.is_Rational for c in poly.coeffs()):
        return False
    low = high = _fraction(poly.coeff_monomial(1))
    for s in symbols:
        c = _fraction(poly.coeff_monomial(s))
        a, b = box[s]
        low += min(c * a, c * b)
        high += max(c * a, c * b)
    return condition.lower <= low and high <= condition.upper


def _fraction(value) -> Fraction:
    return Fraction(int(value.p), int(value.q))
