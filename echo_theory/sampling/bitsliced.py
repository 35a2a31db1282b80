"""The bit-sliced path: y's random digits are bit planes, one comparison covers 64 steps.

Each step's threshold digits become packed columns (unions of the configurations' indicator
columns), one comparison covers 64 steps per word operation, and popcounts of AND-ed columns
count the cells. With k digits it costs about 2^n (2 k + n) word operations per 64 steps for n
rules: the fast path for few rules. When every probability is a multiple of 2^-k (the seed's are
quarters, k = 2), there are no ties and nothing else is drawn.
"""

from __future__ import annotations

import numpy as np

from ..bernoulli import _BITCOUNT, WORD_BITS, compare_columns, set_bits, tie_positions
from .series import _ONES, Series, bits, rejection_coins


def _union(indicators: np.ndarray, masks: list[int], out: np.ndarray, valid: np.ndarray) -> None:
    """OR of the indicator rows of ``masks``. The rows are disjoint and cover ``valid``, so a
    large set is cheaper as ``valid`` minus the union of the others."""
    chosen = set(masks)
    others = [m for m in range(len(indicators)) if m not in chosen]
    if len(others) < len(masks):
        _union(indicators, others, out, valid)
        np.bitwise_xor(out, valid, out=out)
    elif not masks:
        out.fill(np.uint64(0))
    else:
        np.copyto(out, indicators[masks[0]])
        for m in masks[1:]:
            np.bitwise_or(out, indicators[m], out=out)


def split_indicators(series: Series, indicators: np.ndarray, columns: np.ndarray, valid: np.ndarray) -> None:
    """Each configuration mask's indicator column over the chunk's valid steps, into
    ``indicators`` (2^n rows of the chunk's words), split one lag at a time: a row and lag i's
    column give row & column (mask bit i set) and row & ~column. Lag i's packed column is left
    in ``columns[i]``, the valid steps in ``valid``."""
    w = series.words
    valid.fill(_ONES)
    tail = series.valid - (w - 1) * WORD_BITS
    if tail < WORD_BITS:
        valid[-1] = np.uint64((1 << tail) - 1)
    indicators[0] = valid
    for i, lag in enumerate(series.plan.lags):
        column = columns[i]
        series.column(lag, column)
        half = 1 << i
        np.bitwise_and(indicators[:half], column, out=indicators[half : 2 * half])
        np.bitwise_xor(indicators[:half], indicators[half : 2 * half], out=indicators[:half])


class BitslicedSeries(Series):
    """y in ``y_words``, packed as x is; the configurations' indicator columns in ``indicators``."""

    def setup(self, seed: np.random.SeedSequence, chunk_words: int) -> None:
        plan = self.plan
        self._y_planes = [bits(seed, 2, i) for i in range(plan.y_bits)]
        k = plan.y_bits
        self._digit_masks = [
            [m for m, c in enumerate(plan.y_coins) if c.j >> (k - 1 - i) & 1] for i in range(k)
        ]
        # the tie after the last digit matters only if some tie is a success or a draw
        needs_tie = any(c.q for c in plan.y_coins)
        self._last_digit = (
            k - 1 if needs_tie else max((i for i, m in enumerate(self._digit_masks) if m), default=-1)
        )
        self._sure_masks = [m for m, c in enumerate(plan.y_coins) if c.q == 1]
        self._tie_masks = [m for m, c in enumerate(plan.y_coins) if c.tie_draws]
        self._threshold_digits = self.array("_threshold_digits", (k, chunk_words), np.uint64)
        self.columns = self.array("columns", (self.n, chunk_words), np.uint64)
        self.indicators = self.array("indicators", (2**self.n, chunk_words), np.uint64)
        self.y_words = self.array("y_words", chunk_words, np.uint64)
        self._valid = self.array("_valid", chunk_words, np.uint64)
        self._both = self.array("_both", (2**self.n, chunk_words), np.uint64)
        self._bytes = self.array("_bytes", (2**self.n, chunk_words), np.uint8)
        self._y_ties = rejection_coins(plan.y_residual, seed, 3)

    def draw_y(self) -> None:
        w = self.words
        indicators, valid = self.indicators[:, :w], self._valid[:w]
        split_indicators(self, indicators, self.columns[:, :w], valid)
        y, eq, tmp = self.y_words[:w], self._eq[:w], self._tmp[:w]
        y.fill(np.uint64(0))
        if self._y_planes:
            # each step's threshold digits, as columns: digit i of j for the step's configuration
            digits = self._threshold_digits[:, :w]
            for i, masks in enumerate(self._digit_masks):
                _union(indicators, masks, digits[i], valid)
            zeros = [stream.random_raw(w) for stream in self._y_planes]
            eq[:] = valid
            compare_columns(zeros, digits, eq, y, tmp, self._last_digit)
        else:
            eq[:] = valid  # no digits: every step ties, and q is its probability (0 or 1)
        if self._sure_masks:  # p = 1: j = 2^k - 1 and q = 1, so a tie is a success
            _union(indicators, self._sure_masks, tmp, valid)
            np.bitwise_and(tmp, eq, out=tmp)
            np.bitwise_or(y, tmp, out=y)
        if self._y_ties is not None:
            _union(indicators, self._tie_masks, tmp, valid)
            np.bitwise_and(tmp, eq, out=tmp)
            where = tie_positions(tmp)
            if where.size:
                masks = np.zeros(where.size, dtype=np.intp)
                word, bit = where >> 6, (where & 63).astype(np.uint64)
                for i in range(self.n):
                    masks |= ((self.columns[i, word] >> bit) & np.uint64(1)).astype(np.intp) << i
                set_bits(y, where[self._y_ties.draw(masks)])

    def counts(self, out: np.ndarray) -> None:
        w = self.words
        indicators, both = self.indicators[:, :w], self._both[:, :w]
        np.bitwise_and(indicators, self.y_words[:w], out=both)
        ones = _BITCOUNT(both, out=self._bytes[:, :w]).sum(axis=1, dtype=np.int64)
        totals = _BITCOUNT(indicators, out=self._bytes[:, :w]).sum(axis=1, dtype=np.int64)
        out[:, 1] += ones
        out[:, 0] += totals - ones

    def y_flags(self) -> np.ndarray:
        return np.unpackbits(self.y_words[: self.words].view(np.uint8), bitorder="little")
