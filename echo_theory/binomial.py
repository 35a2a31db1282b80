"""Exact binomial draws: how many of n Bernoulli(p) trials succeed, for rational p, from random bits.

A trial succeeds when a uniform U in [0, 1) is below p. Compare U with p digit by digit: at
digit i, of the r trials whose U has matched p so far, those whose digit differs from p's are
decided (below p where p's digit is 1, above where it is 0) and the rest go on. Which of them
differ is a fair coin each, so their number is Binomial(r, 1/2): the popcount of r random
bits. A digit thus costs r bits for all r trials at once, and r halves at every digit, so n
trials take about 2n random bits in all, with no float and no rounding anywhere.

Once few trials remain (FINISH_BELOW over all kinds), each finishes alone: one 64-bit word
against p's next 64 digits, and, for the 1 in 2^64 that ties, the next 64 from the exact
fraction, until they differ. Given the same trials and the same stream, the draws are the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .bernoulli import _BITCOUNT, WORD_BITS

FINISH_BELOW = 4096  # remaining trials below which a word per trial beats another halving pass
_WORD = 1 << WORD_BITS
_LOW_BITS = np.uint64(_WORD - 1)


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
        self.probabilities = tuple(Fraction(p) for p in probabilities)
        if any(not 0 <= p <= 1 for p in self.probabilities):
            raise ValueError("every probability must lie in [0, 1]")
        self._sure = np.array([p == 1 for p in self.probabilities], dtype=bool)
        self._drawn = np.flatnonzero([0 < p < 1 for p in self.probabilities])
        # p's first 128 digits, which the halving passes (at most 64) and the finish read
        self._high = np.array([_digits(self.probabilities[k], 0) for k in self._drawn], dtype=np.uint64)
        self._low = np.array([_digits(self.probabilities[k], 64) for k in self._drawn], dtype=np.uint64)
        # where a dyadic p's digits end: past its last 1, every trial still level with p is above it
        self._ends = np.array([_end(self.probabilities[k]) for k in self._drawn], dtype=np.int64)

    def draw(self, trials: np.ndarray, stream: np.random.BitGenerator) -> np.ndarray:
        """The successes of each kind (int64) among ``trials`` (int64 >= 0, one per kind)."""
        trials = np.asarray(trials, dtype=np.int64)
        if trials.shape != (len(self.probabilities),) or (trials < 0).any():
            raise ValueError("trials must be one count >= 0 per kind")
        successes = np.where(self._sure, trials, 0)
        live = np.flatnonzero(trials[self._drawn] > 0)  # positions in _drawn
        remaining = trials[self._drawn[live]]
        digit = 0
        while live.size and remaining.sum() >= FINISH_BELOW and digit < WORD_BITS:
            ones = _half(remaining, stream)
            p_one = (self._high[live] >> np.uint64(WORD_BITS - 1 - digit)) & np.uint64(1) == 1
            # p's digit 1: U's 0 is below p (a success), U's 1 goes on; p's 0: U's 1 is above p
            np.add.at(successes, self._drawn[live[p_one]], (remaining - ones)[p_one])
            remaining = np.where(p_one, ones, remaining - ones)
            digit += 1
            keep = (remaining > 0) & (self._ends[live] > digit)
            live, remaining = live[keep], remaining[keep]
        if live.size:
            self._finish(successes, live, remaining, digit, stream)
        return successes

    def window(self, live: np.ndarray, digit: int) -> np.ndarray:
        """p's digits digit + 1 .. digit + 64 (0 <= digit <= 64) of the drawn kinds ``live``."""
        if digit == 0:
            return self._high[live]
        if digit == WORD_BITS:
            return self._low[live]
        return (self._high[live] << np.uint64(digit)) | (self._low[live] >> np.uint64(WORD_BITS - digit))

    def _finish(self, successes, live, remaining, digit, stream) -> None:
        """Each remaining trial against p's digits from ``digit`` on, one 64-bit word at a time."""
        window = self.window(live, digit)
        which = np.repeat(np.arange(live.size), remaining)
        words = stream.random_raw(which.size)
        below = words < window[which]
        kinds = self._drawn[live]
        successes += np.bincount(kinds[which[below]], minlength=successes.size)
        for t in np.flatnonzero(words == window[which]):  # 1 trial in 2^64
            p, start = self.probabilities[kinds[which[t]]], digit + WORD_BITS
            while True:
                u, w = int(stream.random_raw()), _digits(p, start)
                if u != w:
                    successes[kinds[which[t]]] += u < w
                    break
                start += WORD_BITS


def _half(remaining: np.ndarray, stream: np.random.BitGenerator) -> np.ndarray:
    """Binomial(r, 1/2) for each r of ``remaining`` (all > 0): the set bits among r random bits,
    each r in whole words of its own (the last one cut to r's leftover bits)."""
    words = (remaining + (WORD_BITS - 1)) // WORD_BITS
    ends = np.cumsum(words)
    starts = ends - words
    raw = stream.random_raw(int(ends[-1]))
    extra = remaining % WORD_BITS
    cut = np.flatnonzero(extra)
    last = ends[cut] - 1
    raw[last] &= (np.uint64(1) << extra[cut].astype(np.uint64)) - np.uint64(1)
    return np.add.reduceat(_BITCOUNT(raw), starts, dtype=np.int64)
