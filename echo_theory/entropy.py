"""Binary entropies, and the 0 log 0 rule.

h(p) = -p log p - (1 - p) log(1 - p), with 0 log 0 = 0: the limit of p log p as p -> 0.
A deterministic branch (p = 0 or p = 1) therefore contributes nothing. SymPy's own
``0*log(0)`` is nan, so the rule is applied here, before SymPy sees a logarithm.

Every entropy the engine derives is an *entropy sum*, sum_i w_i h(p_i), with rational
weights w_i. With numbers it becomes a ``LogForm``; with symbols a ``SymbolicForm``, which
keeps the terms so that substituting values later applies the same rule.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING, Union

from .factoring import VECTOR_LIMIT, factor_many, factor_table, factorize
from .logform import LogForm

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
    counts, total, scale = integer_counts(cells, total, weight_denominator)
    return counted_coefficients(counts, total, scale, _ONE_AT_A_TIME), scale


def integer_counts(
    cells: Iterable[tuple[int, int]], total: int, weight_denominator: int
) -> tuple[dict[int, int], int, int]:
    """({n: sum of W n over the cells whose n log n it carries}, M, M D), with M and every n
    first divided by their gcd: h(n / M) is the same, and smaller integers factor faster."""
    cells = [(w, n) for w, n in cells if w]
    g = math.gcd(total, *(n for _, n in cells))
    if g > 1:
        total //= g
        cells = [(w, n // g) for w, n in cells]
    counts: dict[int, int] = {}
    for w, n in cells:
        # the 0 log 0 rule: a side of the coin with probability 0 contributes nothing
        if n:
            counts[n] = counts.get(n, 0) + w * n
        m = total - n
        if m:
            counts[m] = counts.get(m, 0) + w * m
    return counts, total, total * weight_denominator


def counted_coefficients(
    counts: Mapping[int, int], total: int, scale: int, factors: Mapping[int, tuple[tuple[int, int], ...]]
) -> dict[int, int]:
    """The prime coefficients of log M - sum_n c_n log n / scale, times ``scale``, given the
    factorization of M and of every n in ``factors``."""
    primes: dict[int, int] = {}
    for prime, power in factors[total]:  # + log M, with the same scale
        primes[prime] = power * scale
    for n, c in counts.items():
        for prime, power in factors[n]:
            primes[prime] = primes.get(prime, 0) - power * c
    return primes


class _OneAtATime:
    """``factorize`` read as a mapping: {n: factorization}, one integer at a time (cached)."""

    def __getitem__(self, n: int) -> tuple[tuple[int, int], ...]:
        return factorize(n)


_ONE_AT_A_TIME = _OneAtATime()
BATCH = 1 << 17  # distinct integers factored together: NumPy's arrays pay, memory stays bounded


def batched_forms(
    items: Iterable[tuple[Hashable, Iterable[tuple[int, int]], int, int]], batch: int = BATCH
) -> Iterator[tuple[Hashable, LogForm]]:
    """``counted_form`` for each (key, cells, total, weight_denominator), in order, as (key,
    form): the integers of about ``batch`` at a time are factored together, and their
    coefficients summed on arrays, which for many large integers is several times faster."""
    pending: list[tuple[Hashable, dict[int, int], int, int]] = []
    unknown: set[int] = set()
    for key, cells, total, weight_denominator in items:
        counts, total, scale = integer_counts(cells, total, weight_denominator)
        pending.append((key, counts, total, scale))
        unknown.update(counts)
        unknown.add(total)
        if len(unknown) >= batch:
            yield from _batch_forms(pending, unknown)
            pending, unknown = [], set()
    yield from _batch_forms(pending, unknown)


_LIMB = 32  # coefficients split in two limbs, so that sums of thousands stay exact in int64


def _batch_forms(pending, unknown) -> Iterator[tuple[Hashable, LogForm]]:
    counted = sum(len(counts) for _, counts, _, _ in pending)
    largest = max((max(counts.values(), default=0) for _, counts, _, _ in pending), default=0)
    # The arrays need every integer below the vector limit, and each coefficient's limbs times
    # a power, summed over up to ``counted`` integers, inside int64.
    if counted < 4096 or max(unknown, default=0) >= VECTOR_LIMIT or largest >> (2 * _LIMB - 2):
        factors = factor_many(unknown)
        for key, counts, total, scale in pending:
            yield key, LogForm.from_integers(counted_coefficients(counts, total, scale, factors), scale)
        return
    import numpy as np

    ns, cs, sizes = [], [], []
    for _, counts, _, _ in pending:
        ns += counts.keys()
        cs += counts.values()
        sizes.append(len(counts))
    subsets = np.repeat(np.arange(len(pending)), sizes)
    totals = np.array([total for _, _, total, _ in pending], dtype=np.int64)
    yield from counted_forms(
        [key for key, _, _, _ in pending],
        subsets,
        np.array(ns, dtype=np.int64),
        np.array(cs, dtype=np.int64),
        totals,
        [scale for _, _, _, scale in pending],
    )


def counted_forms(keys, subsets, ns, cs, totals, scales) -> Iterator[tuple[Hashable, LogForm]]:
    """(key, log M - sum_n c_n log n / scale) for each subset k, from arrays: one row (k, n, c_n)
    per distinct n of subset k (``subsets`` ascending), ``totals[k]`` = M, every integer below
    VECTOR_LIMIT and every c_n below 2^62. The integers are factored together and each
    subset's coefficients summed on arrays (in two limbs, so sums stay exact in int64)."""
    import numpy as np

    values = np.unique(np.concatenate([ns, totals]))
    owners, primes, powers = factor_table(values)
    first = np.searchsorted(owners, np.arange(len(values) + 1))
    position = np.searchsorted(values, ns)
    # every prime of every counted integer: (subset, prime, power * c) rows
    spans = first[position + 1] - first[position]
    entry = np.repeat(np.arange(len(ns)), spans)
    offset = np.repeat(first[position] - (np.cumsum(spans) - spans), spans)
    row = offset + np.arange(len(entry))
    subset = subsets[entry]
    prime, power = primes[row], powers[row]
    low = power * (cs[entry] & ((1 << _LIMB) - 1))
    high = power * (cs[entry] >> _LIMB)
    order = np.lexsort((prime, subset))
    subset, prime, low, high = subset[order], prime[order], low[order], high[order]
    new = np.ones(len(subset), dtype=bool)
    new[1:] = (subset[1:] != subset[:-1]) | (prime[1:] != prime[:-1])
    starts = np.flatnonzero(new)
    low, high = np.add.reduceat(low, starts), np.add.reduceat(high, starts)
    subset, prime = subset[starts], prime[starts]
    bounds = np.searchsorted(subset, np.arange(len(keys) + 1)).tolist()
    prime_list = prime.tolist()
    if high.max(initial=0) < 1 << (62 - _LIMB):  # the whole coefficient fits int64
        coefficient_list = (-((high << _LIMB) + low)).tolist()
    else:
        coefficient_list = [-((h << _LIMB) + lo) for h, lo in zip(high.tolist(), low.tolist(), strict=True)]
    primes_of, powers_of, first_of = primes.tolist(), powers.tolist(), first.tolist()
    total_index = np.searchsorted(values, totals).tolist()
    for k, (key, scale) in enumerate(zip(keys, scales, strict=True)):
        a, b = bounds[k], bounds[k + 1]
        primes_k, coefficients_k = prime_list[a:b], coefficient_list[a:b]  # ascending primes
        i = total_index[k]
        for row in range(first_of[i], first_of[i + 1]):  # + log M, with the scale
            p = primes_of[row]
            j = bisect_left(primes_k, p)
            if j < len(primes_k) and primes_k[j] == p:
                coefficients_k[j] += powers_of[row] * scale
                if not coefficients_k[j]:
                    del primes_k[j], coefficients_k[j]
            else:
                primes_k.insert(j, p)
                coefficients_k.insert(j, powers_of[row] * scale)
        yield key, LogForm.from_sorted(primes_k, coefficients_k, scale)


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
