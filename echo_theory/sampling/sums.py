"""Counts of (sum of the learned shifts, y), for the validator past what 2^n counts can hold.

For additive rules P(y=1 | x_S) depends on x_S only through V_S, the sum of the learned shifts
that fire (``structured``), so H(Y | X_S) = H(Y | V_S), and the counts of (V_S, y) estimate it
with no 2^|S| table. Each learned subset S gets its own index k_S = sum over S of w_i z_i (the
``SumLayout`` of S alone: w_i = |shift_i| / g_S with g_S the gcd of S's scaled shifts, z_i = x
or 1 - x by the shift's sign), a bijection onto the values of V_S that S can reach or miss.
It costs a few operations per step and per learned lag, and a histogram per step and subset.

The counts come from the same series as the step-by-step configuration counts (``count_series``,
any path), so where both apply, the (V_S, y) counts are exactly those counts of S grouped by V_S.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..bernoulli import _BITCOUNT
from ..errors import EchoTheoryError
from .chunks import _check_chunk, _check_length, _series
from .general import histogram
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


class _Chunk:
    """What every subset's count reads from one chunk: y as bytes, as packed words (tail
    cleared) and its total, and the sums already built that a subset can start from: the
    summed path's own index, and the last subset's sum (kept in one buffer, "_sum_k")."""

    def __init__(self, series: Series) -> None:
        self.series = series
        self.steps, self.valid = series.words * 64, series.valid
        self.y = series.y_flags()[: self.steps].view(np.uint8)
        self.ones = int(np.count_nonzero(self.y[: self.valid]))
        self._y_words = None
        self.summed: tuple[dict[int, tuple[int, bool]], np.ndarray] | None = None
        if isinstance(series, SummedSeries):  # every rule's sum
            self.summed = ({lag: (w, neg) for lag, w, neg in series._terms if w}, series.index)
        self.latest: tuple[dict[int, tuple[int, bool]], np.ndarray] | None = None

    def y_words(self) -> np.ndarray:
        if self._y_words is None:
            words = np.packbits(self.y, bitorder="little").view(np.uint64)
            tail = self.valid - (self.series.words - 1) * 64
            if tail < 64:
                words[-1] &= np.uint64((1 << tail) - 1)
            self._y_words = words
        return self._y_words


class _Counter:
    """One subset's counts over a series, chunk by chunk."""

    def __init__(self, subset: SumSubset, series: Series, wide: type) -> None:
        self.subset = subset
        self.terms = {lag: (w, negative) for lag, w, negative in subset.terms if w}  # w = 0 never moves k
        self.counts = np.zeros((subset.size, 2), dtype=np.int64)
        self.wide = wide

    def add(self, chunk: _Chunk) -> None:
        if not self.terms:
            self.counts[0] += (chunk.valid - chunk.ones, chunk.ones)
        elif len(self.terms) == 1:
            self._add_single(chunk)
        else:
            self._add_sums(chunk)

    def _add_single(self, chunk: _Chunk) -> None:
        """k = z: popcounts of x's packed column, alone and with y."""
        series, v, ones = chunk.series, chunk.valid, chunk.ones
        ((lag, (_, negative)),) = self.terms.items()
        column = series.array("_single", series.buffer.size, np.uint64)[: series.words]
        series.column(lag, column)
        tail = v - (series.words - 1) * 64
        if tail < 64:
            column[-1] &= np.uint64((1 << tail) - 1)
        on = int(_BITCOUNT(column).sum(dtype=np.int64))
        both = int(_BITCOUNT(np.bitwise_and(column, chunk.y_words(), out=column)).sum(dtype=np.int64))
        if negative:  # z = 1 - x
            on, both = v - on, ones - both
        self.counts[1] += (on - both, both)
        self.counts[0] += (v - on - ones + both, ones - both)

    def _add_sums(self, chunk: _Chunk) -> None:
        """k from the cheapest base (a sum already built this chunk whose common lags have the
        same weights) minus the terms it has in excess, plus those it lacks (unsigned integers
        wrap, so a partial sum may leave the dtype on the way and still end exact); then the
        key 2 k + y and its histogram."""
        series, steps, v = chunk.series, chunk.steps, chunk.valid
        best = None
        for base in (chunk.summed, chunk.latest):
            if base is None:
                continue
            terms, k = base
            if all(terms[lag] == term for lag, term in self.terms.items() if lag in terms):
                extra = [lag for lag in self.terms if lag not in terms]
                excess = [lag for lag in terms if lag not in self.terms]
                if best is None or len(extra) + len(excess) < best[0]:
                    best = (len(extra) + len(excess), k, extra, excess, terms)
        k = series.array("_sum_k", steps, self.wide)[:steps]  # the latest sum's buffer, reused
        if best is None or best[0] >= len(self.terms):
            weighted_sum(series, [(lag, w, neg) for lag, (w, neg) in self.terms.items()], k)
        else:
            _, base, extra, excess, terms = best
            if not np.may_share_memory(k, base):  # the latest sum is in this buffer already
                np.copyto(k, base)
            if excess:
                np.subtract(k, self._partial(series, excess, terms, steps), out=k)
            if extra:
                np.add(k, self._partial(series, extra, self.terms, steps), out=k)
        chunk.latest = (self.terms, k)
        key = series.array("_sum_key", steps, index_dtype(self.subset.cells))[:steps]
        np.add(k, k, out=key, dtype=key.dtype)  # in the key's dtype: 2 k may not fit k's
        if key.dtype == np.uint8:  # 8 steps per uint64 word
            np.bitwise_or(key.view(np.uint64), chunk.y.view(np.uint64), out=key.view(np.uint64))
        else:
            np.bitwise_or(key, chunk.y, out=key)
        self.counts += histogram(key[:v], self.subset.cells, series).reshape(-1, 2)

    def _partial(self, series: Series, lags, terms, steps: int) -> np.ndarray:
        """sum of w z over some lags, in the narrowest dtype that holds it."""
        chosen = [(lag, *terms[lag]) for lag in lags]
        out = series.array("_sum_part", steps, index_dtype(sum(w for _, w, _ in chosen) + 1))
        return weighted_sum(series, chosen, out[:steps])


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
    wide = index_dtype(max((s.size for s in subsets), default=1))
    if plan.sums is not None:
        wide = np.promote_types(wide, index_dtype(plan.sums.size)).type
    for series in _series(plan, seed, _check_length(length), _check_chunk(chunk_size), scratch):
        if counters is None:
            counters = [_Counter(subset, series, wide) for subset in subsets]
        chunk = _Chunk(series)
        for counter in counters:
            counter.add(chunk)
    if counters is None:
        return [np.zeros((subset.size, 2), dtype=np.int64) for subset in subsets]
    return [counter.counts for counter in counters]
