"""Binary entropies, and the 0 log 0 rule.

h(p) = -p log p - (1 - p) log(1 - p), with 0 log 0 = 0: the limit of p log p as p -> 0.
A deterministic branch (p = 0 or p = 1) therefore contributes nothing. SymPy's own
``0*log(0)`` is nan, so the rule is applied here, before SymPy sees a logarithm.

Every entropy the engine derives is an *entropy sum*, sum_i w_i h(p_i), with rational
weights w_i. With numbers it becomes a ``LogForm``; with symbols a ``SymbolicForm``, which
keeps the terms so that substituting values later applies the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Union

from .logform import LogForm, factorize

if TYPE_CHECKING:
    import sympy

Probability = Union[Fraction, "sympy.Expr"]
Term = tuple[Fraction, Probability]  # weight, probability: contributes weight * h(probability)


def xlogx(q: Fraction) -> LogForm:
    """q log q as an exact form, 0 at q = 0 (the 0 log 0 rule)."""
    if q == 0:
        return LogForm()
    return LogForm.combine([(Fraction(q), LogForm.log(q))])


@lru_cache(maxsize=65536)
def binary_entropy(p: Fraction) -> LogForm:
    """h(p) for a rational p in [0, 1], exactly."""
    return LogForm.combine([(Fraction(-1), xlogx(p)), (Fraction(-1), xlogx(1 - p))])


def binary_entropy_expr(p: Probability):
    """h(p) as a SymPy expression; numeric p takes the exact form (so 0 log 0 never appears)."""
    if isinstance(p, Fraction):
        return binary_entropy(p).to_sympy()
    import sympy

    return -(p * sympy.log(p) + (1 - p) * sympy.log(1 - p))


def entropy_form(terms: Iterable[Term]) -> LogForm | SymbolicForm:
    """sum w h(p) in canonical form: a ``LogForm`` when every p is a number."""
    terms = tuple((w, p) for w, p in terms if w != 0)  # a zero weight contributes nothing
    if all(isinstance(p, Fraction) for _, p in terms):
        return LogForm.combine((w, binary_entropy(p)) for w, p in terms)
    return SymbolicForm(terms)


def counted_form(cells: Iterable[tuple[int, int]], total: int, weight_denominator: int) -> LogForm:
    """``counted_integers`` as a LogForm."""
    return LogForm.from_integers(*counted_integers(cells, total, weight_denominator))


def counted_integers(
    cells: Iterable[tuple[int, int]], total: int, weight_denominator: int
) -> tuple[dict[int, int], int]:
    """sum of (W / D) h(n / M) over integer cells (W, n), with M = ``total`` and D =
    ``weight_denominator``, in canonical form without a single Fraction per cell:
    h(n/M) = log M - (n log n + (M-n) log(M-n)) / M, so with sum W = D the whole sum is
    log M - sum_n c_n log n / (M D), with integer c_n; only the distinct n are factored.
    Returns ({prime: integer coefficient}, common denominator).
    """
    counts: dict[int, int] = {}  # n -> sum of W * n over the cells whose n log n it carries
    for w, n in cells:
        if w:
            # the 0 log 0 rule: a side of the coin with probability 0 contributes nothing
            if n:
                counts[n] = counts.get(n, 0) + w * n
            m = total - n
            if m:
                counts[m] = counts.get(m, 0) + w * m
    scale = total * weight_denominator
    primes: dict[int, int] = {}
    for prime, power in factorize(total):  # + log M, with the same scale
        primes[prime] = primes.get(prime, 0) + power * scale
    for n, c in counts.items():
        for prime, power in factorize(n):
            primes[prime] = primes.get(prime, 0) - power * c
    return primes, scale


@dataclass(frozen=True)
class SymbolicForm:
    """sum of weight * h(probability) where some probabilities hold symbols."""

    terms: tuple[Term, ...]

    @property
    def symbols(self) -> frozenset:
        found: set = set()
        for _, p in self.terms:
            if not isinstance(p, Fraction):
                found |= p.free_symbols
        return frozenset(found)

    def to_sympy(self, units: str = "nats"):
        """The closed form, in logs. Where a probability may reach 0 or 1, read its
        p log p with the 0 log 0 = 0 convention; ``subs`` applies it for you."""
        import sympy

        total = sympy.Add(
            *(sympy.Rational(w.numerator, w.denominator) * binary_entropy_expr(p) for w, p in self.terms)
        )
        return total / sympy.log(2) if units == "bits" else total

    def text(self, units: str = "nats") -> str:
        return str(self.to_sympy(units))

    def latex(self, units: str = "nats") -> str:
        import sympy

        return sympy.latex(self.to_sympy(units))

    def to_float(self, units: str = "nats") -> None:
        return None

    def subs(self, values: Mapping) -> LogForm | SymbolicForm:
        """Substitute exact values (``{symbol: Rational}``) into every probability, then
        apply the 0 log 0 rule. A probability pushed outside [0, 1] is an error."""
        from .errors import ProcessError
        from .literals import format_fraction
        from .process import _simplify

        terms = []
        for w, p in self.terms:
            if not isinstance(p, Fraction):
                p = _simplify(p.subs(values))
                if isinstance(p, Fraction) and not 0 <= p <= 1:
                    raise ProcessError(f"a probability becomes {format_fraction(p)}, outside [0, 1]")
            terms.append((w, p))
        return entropy_form(terms)
