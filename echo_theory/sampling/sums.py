"""Counts of (sum of the learned shifts, y), for the validator past what 2^n counts can hold.

For additive rules P(y=1 | x_S) depends on x_S only through V_S, the sum of the learned shifts
that fire (``structured``), so H(Y | X_S) = H(Y | V_S), and the counts of (V_S, y) estimate it
with no 2^|S| table. Each learned subset S gets its own index k_S = sum over S of w_i z_i (the
``SumLayout`` of S alone: w_i = |shift_i| / g_S with g_S the gcd of S's scaled shifts, z_i = x
or 1 - x by the shift's sign), a bijection onto the values of V_S that S can reach or miss.
It costs a few operations per step and per learned lag, and a histogram per step and subset.

The counts come from the same series as the configuration counts (any path), so where both
apply, the (V_S, y) counts are exactly the configuration counts of S grouped by V_S.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import EchoTheoryError
from .chunks import _check_chunk, _check_length, _series
from .general import _histogram
from .plan import DEFAULT_CHUNK, SamplerPlan
from .series import Series
from .summed import SummedSeries, Term, index_dtype, weighted_sum

if TYPE_CHECKING:
    from ..process import EchoProcess


@dataclass(frozen=True)
class SumSubset:
    """A learned subset's sum index: k = sum over ``terms`` of w z, in 0 .. size - 1. The learned
    shifts that fire sum to ``unit`` (k - ``offset``), exactly (``unit`` is a Fraction)."""

    learned: tuple[int, ...]
    terms: tuple[Term, ...]
    unit: object
    offset: int

    @property
    def size(self) -> int:
        return sum(w for _, w, _ in self.terms) + 1

    @property
    def cells(self) -> int:
        """Counts kept per block: (k, y) for every k."""
        return 2 * self.size

    def sums(self) -> list:
        """V_S for each index k (exact Fractions)."""
        return [self.unit * (k - self.offset) for k in range(self.size)]

    def index(self, x_learned: Sequence[int]) -> int:
        """k for one configuration of the learned inputs (in lag order): the reference mapping."""
        return sum(
            w * (1 - b if negative else b) for (_, w, negative), b in zip(self.terms, x_learned, strict=True)
        )


def sum_subset(process: EchoProcess, learned: Sequence[int]) -> SumSubset:
    """The sum index of one learned subset of an additive process."""
    from fractions import Fraction

    if not process.is_additive or process.is_symbolic:
        raise EchoTheoryError("counting sums of the learned shifts needs additive rules with numeric shifts")
    shifts = {rule.lag: Fraction(rule.shift) for rule in process.rules}
    learned = tuple(sorted(set(learned)))
    chosen = [shifts[lag] for lag in learned]
    scale = math.lcm(*(s.denominator for s in chosen)) if chosen else 1
    scaled = [int(s * scale) for s in chosen]
    g = math.gcd(*scaled) or 1
    terms = tuple((lag, abs(a) // g, a < 0) for lag, a in zip(learned, scaled, strict=True))
    offset = sum(w for _, w, negative in terms if negative)
    return SumSubset(learned, terms, Fraction(g, scale), offset)


class _Counter:
    """One subset's counts over a series, chunk by chunk."""

    def __init__(self, subset: SumSubset, series: Series) -> None:
        self.subset = subset
        self.terms = [term for term in subset.terms if term[1]]  # weight 0 never moves k
        self.counts = np.zeros((subset.size, 2), dtype=np.int64)
        steps = series.buffer.size * 64
        self.key = series.array(
            f"_sum_key{np.dtype(index_dtype(subset.cells)).str}", steps, index_dtype(subset.cells)
        )
        self.reuse = isinstance(series, SummedSeries) and self.terms == list(series._terms)

    def add(self, series: Series, y: np.ndarray, ones: int) -> None:
        v, steps = series.valid, series.words * 64
        counts = self.counts
        if not self.terms:
            counts[0] += (v - ones, ones)
            return
        if len(self.terms) == 1:  # k = z: two counts of nonzero bytes
            ((lag, _, negative),) = self.terms
            z = series.lagged(lag, v, negative)
            on = int(np.count_nonzero(z))
            both = int(
                np.count_nonzero(np.bitwise_and(z, y[:v], out=series.array("_and", steps, np.uint8)[:v]))
            )
            counts[1] += (on - both, both)
            counts[0] += (v - on - ones + both, ones - both)
            return
        key = self.key[:steps]
        if self.reuse:  # S is every rule: k is the summed path's own index
            np.copyto(key, series.index)
        else:
            weighted_sum(series, self.terms, key)
        np.add(key, key, out=key)
        if key.dtype == np.uint8:  # 8 steps per uint64 word
            np.bitwise_or(key.view(np.uint64), y.view(np.uint64), out=key.view(np.uint64))
        else:
            np.bitwise_or(key, y, out=key)
        counts += _histogram(key[:v], self.subset.cells).reshape(-1, 2)


def count_sums(
    plan: SamplerPlan,
    seed: np.random.SeedSequence,
    length: int,
    subsets: Sequence[SumSubset],
    chunk_size: int = DEFAULT_CHUNK,
    scratch: dict | None = None,
) -> list[np.ndarray]:
    """Counts of (k_S, y) in one series for each subset: shape (size, 2) each, int64.

    The series is ``count_series``'s for the same plan and seed (any path); ``scratch`` as there.
    """
    counters = None
    for series in _series(plan, seed, _check_length(length), _check_chunk(chunk_size), scratch):
        if counters is None:
            counters = [_Counter(subset, series) for subset in subsets]
        y = series.y_flags()[: series.words * 64].view(np.uint8)
        ones = int(np.count_nonzero(y[: series.valid]))
        for counter in counters:
            counter.add(series, y, ones)
    if counters is None:
        return [np.zeros((subset.size, 2), dtype=np.int64) for subset in subsets]
    return [counter.counts for counter in counters]
