"""Exact binomial draws: how many of n Bernoulli(p) trials succeed, for rational p, from random bits.

A trial succeeds when a uniform U in [0, 1) is below p. Compare U with p digit by digit: at
digit i, of the r trials whose U has matched p so far, those whose digit differs from p's are
decided (below p where p's digit is 1, above where it is 0) and the rest go on. Which of them
differ is a fair coin each, so their number is Binomial(r, 1/2): the popcount of r random
bits. A digit thus costs r bits for all r trials at once, and r halves at every digit, so n
trials take about 2n random bits in all, with no float and no rounding anywhere.

Once few trials remain (below FINISH_BELOW in all, or PER_CELL a count), each finishes alone:
one 64-bit word against p's next 64 digits, and, for the 1 in 2^64 that ties, the next 64
from the exact fraction, until they differ. Given the same trials and the same stream, the draws are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .bernoulli import _BITCOUNT, WORD_BITS

FINISH_BELOW = 4096  # remaining trials below which a word per trial beats another halving pass
PER_CELL = 8  # trials per cell below which finishing beats halving (measured here)
HALF_WORDS = 1 << 16  # random words per slice of a halving pass (512 KB)
GROUP_CELLS = 1 << 16  # counts drawn per pass: each pass keeps a few int64 arrays of this size
_WORD = 1 << WORD_BITS


def _digits(p: Fraction, start: int) -> int:
    """p's binary digits start + 1 .. start + 64, as one integer (most significant first)."""
    return (p.numerator << (start + WORD_BITS)) // p.denominator % _WORD


def _end(p: Fraction) -> int:
    """The number of p's binary digits up to its last 1 if p is dyadic, else a large number."""
    d = p.denominator
    return d.bit_length() - 1 if d & (d - 1) == 0 else 1 << 62


class BinomialCoins:
    """Binomial(n_k, p_k) for kinds k of fixed probabilities ``probabilities`` (each in [0, 1])."""

    def __init__(self, probabilities: Sequence[Fraction]) -> None:
        self.probabilities = tuple(p if type(p) is Fraction else Fraction(p) for p in probabilities)
        # on the integers: a plan's table has up to 2^15 kinds, and Fraction comparisons are slow
        parts = [(p.numerator, p.denominator) for p in self.probabilities]
        if any(not 0 <= n <= d for n, d in parts):
            raise ValueError("every probability must lie in [0, 1]")
        self._sure = np.array([n == d for n, d in parts], dtype=bool)
        self._drawn = np.flatnonzero([0 < n < d for n, d in parts])
        # p's first 128 digits, which the halving passes (at most 64) and the finish read
        self._high = np.array([_digits(self.probabilities[k], 0) for k in self._drawn], dtype=np.uint64)
        self._low = np.array([_digits(self.probabilities[k], 64) for k in self._drawn], dtype=np.uint64)
        # where a dyadic p's digits end: past its last 1, every trial still level with p is above it
        self._ends = np.array([_end(self.probabilities[k]) for k in self._drawn], dtype=np.int64)

    def draw(self, trials: np.ndarray, stream: np.random.BitGenerator) -> np.ndarray:
        """The successes (int64, shaped as ``trials``) among ``trials``: counts >= 0 whose last
        axis runs over the kinds. Every count is an independent draw; one call reads the stream
        for all of them at once, so many rows cost hardly more than one."""
        trials = np.asarray(trials, dtype=np.int64)
        kinds = len(self.probabilities)
        if trials.ndim == 0 or trials.shape[-1] != kinds or (trials < 0).any():
            raise ValueError(f"trials must be counts >= 0 along a last axis of {kinds} kinds")
        table = trials.reshape(-1, kinds)
        if table.shape[0] > 1 and table.size > GROUP_CELLS:  # rows in groups: bounded temporaries
            step = max(GROUP_CELLS // kinds, 1)
            groups = [self._draw(table[r : r + step], stream) for r in range(0, table.shape[0], step)]
            return np.concatenate(groups).reshape(trials.shape)
        return self._draw(table, stream).reshape(trials.shape)

    def _draw(self, table: np.ndarray, stream: np.random.BitGenerator) -> np.ndarray:
        rows, kinds = table.shape
        flat = table.reshape(-1)
        successes = np.where(np.tile(self._sure, rows), flat, 0)
        position = np.full(kinds, -1)  # each kind's index in _drawn (-1: p is 0 or 1)
        position[self._drawn] = np.arange(self._drawn.size)
        positions = np.tile(position, rows)
        cells = np.flatnonzero((positions >= 0) & (flat > 0))
        which, remaining = positions[cells], flat[cells]
        digit = 0
        while cells.size and digit < WORD_BITS and _halving_pays(remaining):
            ones = _half(remaining, stream)
            p_one = (self._high[which] >> np.uint64(WORD_BITS - 1 - digit)) & np.uint64(1) == 1
            # p's digit 1: U's 0 is below p (a success), U's 1 goes on; p's 0: U's 1 is above p
            successes[cells[p_one]] += (remaining - ones)[p_one]
            remaining = np.where(p_one, ones, remaining - ones)
            digit += 1
            keep = (remaining > 0) & (self._ends[which] > digit)
            cells, which, remaining = cells[keep], which[keep], remaining[keep]
        if cells.size:
            self._finish(successes, cells, which, remaining, digit, stream)
        return successes.reshape(table.shape)

    def window(self, which: np.ndarray, digit: int) -> np.ndarray:
        """p's digits digit + 1 .. digit + 64 (0 <= digit <= 64) of the drawn kinds ``which``
        (indices among the kinds with 0 < p < 1)."""
        if digit == 0:
            return self._high[which]
        if digit == WORD_BITS:
            return self._low[which]
        return (self._high[which] << np.uint64(digit)) | (self._low[which] >> np.uint64(WORD_BITS - digit))

    def _finish(self, successes, cells, which, remaining, digit, stream) -> None:
        """Each remaining trial against p's digits from ``digit`` on, one 64-bit word at a time."""
        window = self.window(which, digit)
        trial = np.repeat(np.arange(cells.size), remaining)  # each trial's cell, in cell order
        words = stream.random_raw(trial.size)
        below = words < window[trial]
        successes += np.bincount(cells[trial[below]], minlength=successes.size)
        for t in np.flatnonzero(words == window[trial]):  # 1 trial in 2^64
            cell = cells[trial[t]]
            p, start = self.probabilities[self._drawn[which[trial[t]]]], digit + WORD_BITS
            while True:
                u, w = int(stream.random_raw()), _digits(p, start)
                if u != w:
                    successes[cell] += u < w
                    break
                start += WORD_BITS


def _halving_pays(remaining: np.ndarray) -> bool:
    """Whether another halving pass beats finishing now: a pass costs a few operations per
    cell (a word at least) and saves half the trials a word each."""
    trials = int(remaining.sum())
    return trials >= FINISH_BELOW and trials > PER_CELL * remaining.size


def _half(remaining: np.ndarray, stream: np.random.BitGenerator) -> np.ndarray:
    """Binomial(r, 1/2) for each r of ``remaining`` (all > 0): the set bits among r random bits,
    each r in whole words of its own (the last one cut to r's leftover bits). The words are
    drawn HALF_WORDS at a time, the same words as one draw, so memory stays bounded however
    many trials there are (a run of 10^9 steps starts with 10^9 bits)."""
    ends = np.cumsum((remaining + (WORD_BITS - 1)) // WORD_BITS)  # past each count's last word
    extra = remaining % WORD_BITS
    cut = np.flatnonzero(extra)
    cut_words, cut_masks = ends[cut] - 1, (np.uint64(1) << extra[cut].astype(np.uint64)) - np.uint64(1)
    below = np.empty(remaining.size, dtype=np.int64)  # set bits up to each count's last word
    total, running = int(ends[-1]), 0
    for start in range(0, total, HALF_WORDS):
        stop = min(start + HALF_WORDS, total)
        raw = stream.random_raw(stop - start)
        a, b = np.searchsorted(cut_words, [start, stop])
        raw[cut_words[a:b] - start] &= cut_masks[a:b]
        prefix = np.cumsum(_BITCOUNT(raw), dtype=np.int64)
        prefix += running
        a, b = np.searchsorted(ends, [start + 1, stop + 1])  # the counts that end in this slice
        below[a:b] = prefix[ends[a:b] - 1 - start]
        running = int(prefix[-1])
    return np.diff(below, prepend=0)
