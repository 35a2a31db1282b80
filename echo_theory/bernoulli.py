"""Exact Bernoulli draws from random bits: a probability is never rounded, never a float.

Two exact pieces, used by the sampler for x and for y.

**Integer rejection** draws Bernoulli(A/B) for B < 2^64 from uniform 64-bit words u. With
r = floor((2^64 - 1) / B), a word is accepted when u < B r, and then y = [u < A r]. An accepted
u is uniform on [0, B r) and exactly A r of those values give y = 1, so P(y = 1) = A r / (B r) =
A / B exactly. A rejected word (probability (2^64 - B r) / 2^64, below 1/2 and usually below
B / 2^64) is redrawn. The redraws of depth d come from a stream of their own, consumed in
sample order, so how the samples are cut into chunks never changes which word a sample gets.

**Lazy comparison** draws y = [U < p] for a uniform U in [0, 1) whose binary digits come k at
a time. Write 2^k p = j + q with j = min(floor(2^k p), 2^k - 1), so q is in [0, 1]. Let J be the
integer of U's first k digits (uniform on 0 .. 2^k - 1). J < j gives U < p, J > j gives U > p,
and J = j (probability 2^-k) leaves U < p exactly when the rest of U is below q: a Bernoulli(q)
draw by integer rejection. So P(y = 1) = j / 2^k + q / 2^k = p. When p is a multiple of 2^-k, q
is 0 or 1 and the tie needs no draw at all: that is the plain bit-sliced case.

The comparison J < j runs on *bit planes*: word i holds digit i of 64 samples' J, so one pass
of word operations compares 64 samples at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from fractions import Fraction

import numpy as np

from .errors import LimitError

if hasattr(np, "bitwise_count"):  # numpy >= 2.0
    _BITCOUNT = np.bitwise_count
else:  # pragma: no cover - older numpy: count the bits of each byte
    _BYTE_BITS = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)

    def _BITCOUNT(words: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        per_byte = _BYTE_BITS[words.view(np.uint8)].reshape(*words.shape, words.itemsize)
        return per_byte.sum(axis=-1, dtype=np.uint8, out=out)


WORD_BITS = 64
MAX_DENOMINATOR = 2**WORD_BITS - 1


def split_probability(p: Fraction, k: int) -> tuple[int, Fraction]:
    """(j, q) with 2^k p = j + q, j = min(floor(2^k p), 2^k - 1), so 0 <= j < 2^k and 0 <= q <= 1.

    >>> split_probability(Fraction(3, 4), 2)
    (3, Fraction(0, 1))
    >>> split_probability(Fraction(1), 2)      # p = 1: the tie J = 3 is always a success
    (3, Fraction(1, 1))
    >>> split_probability(Fraction(1, 3), 2)   # 4/3 = 1 + 1/3
    (1, Fraction(1, 3))
    """
    if not 0 <= p <= 1:
        raise ValueError(f"probability {p} is outside [0, 1]")
    scaled = p * 2**k
    j = min(math.floor(scaled), 2**k - 1)
    return j, scaled - j


def dyadic_bits(p: Fraction) -> int | None:
    """The k with p a multiple of 2^-k and k smallest, or None when p is not dyadic.

    >>> dyadic_bits(Fraction(3, 4)), dyadic_bits(Fraction(1)), dyadic_bits(Fraction(1, 10))
    (2, 0, None)
    """
    d = p.denominator
    return d.bit_length() - 1 if d & (d - 1) == 0 else None


def rejection_thresholds(numerators: Sequence[int], denominator: int, bits: int = WORD_BITS):
    """The integer-rejection constants for Bernoulli(A / B) with ``bits``-bit words.

    Returns (limit, thresholds): accept a word u when u < limit = B r, then y = [u < A r], with
    r = floor((2^bits - 1) / B). Every value fits in ``bits`` bits.

    >>> rejection_thresholds([0, 1, 3], 3, bits=8)    # r = 85: accept u < 255
    (255, [0, 85, 255])
    """
    top = 2**bits - 1
    if not 1 <= denominator <= top:
        raise LimitError(
            f"a probability's denominator {denominator} needs more than {bits} bits; "
            f"the exact sampler draws {bits}-bit words: use shifts with fewer digits"
        )
    if any(not 0 <= a <= denominator for a in numerators):
        raise ValueError("every numerator must lie in 0 .. denominator")
    r = top // denominator
    return denominator * r, [a * r for a in numerators]


def compare_planes(
    zeros: Sequence[np.ndarray],
    j: int,
    eq: np.ndarray,
    lt: np.ndarray,
    tmp: np.ndarray,
    need_tie: bool = True,
) -> None:
    """Bit-sliced J < j for 64 samples per word, against one integer j.

    ``zeros[i]`` marks the samples whose J has a 0 at digit i (most significant first): random
    words serve as they are, since a uniform digit's complement is uniform too. On entry ``eq``
    selects the samples to compare; those with J < j are OR-ed into ``lt``, and ``eq`` is left
    holding those with J == j. With ``need_tie`` False the walk may stop early, and ``eq`` is
    then meaningless.
    """
    k = len(zeros)
    last_one = max((i for i in range(k) if j >> (k - 1 - i) & 1), default=-1)
    for i in range(k if need_tie else last_one + 1):
        if j >> (k - 1 - i) & 1:
            np.bitwise_and(eq, zeros[i], out=tmp)  # equal so far, then 0 against j's 1: below
            np.bitwise_or(lt, tmp, out=lt)
            np.bitwise_xor(eq, tmp, out=eq)  # still equal: J's digit is 1 too
        else:
            np.bitwise_and(eq, zeros[i], out=eq)


def compare_columns(
    zeros: Sequence[np.ndarray],
    thresholds: np.ndarray,
    eq: np.ndarray,
    lt: np.ndarray,
    tmp: np.ndarray,
    last: int | None = None,
) -> None:
    """Bit-sliced J < j where each sample has its own j: ``thresholds[i]`` marks the samples
    whose j has a 1 at digit i. Same contract as ``compare_planes``; ``last`` stops after digit
    ``last`` when the final tie is not needed (None: every digit).
    """
    for i in range(len(zeros) if last is None else last + 1):
        np.bitwise_and(thresholds[i], zeros[i], out=tmp)  # j's digit 1, J's digit 0: below
        np.bitwise_and(tmp, eq, out=tmp)
        np.bitwise_or(lt, tmp, out=lt)
        np.bitwise_xor(thresholds[i], zeros[i], out=tmp)  # digits agree: j's is 1 where J's is not 0
        np.bitwise_and(eq, tmp, out=eq)


def tie_positions(words: np.ndarray) -> np.ndarray:
    """Indices of the set bits of a packed bit array (bit b of word w is sample 64 w + b), sorted.

    Ties are sparse, so this peels the lowest set bit off the nonzero words, round by round.
    """
    index = np.flatnonzero(words)
    found = []
    rest = words[index]
    while index.size:
        low = rest & (~rest + np.uint64(1))  # the lowest set bit of each word
        found.append(index * WORD_BITS + _BITCOUNT(low - np.uint64(1)).astype(np.intp))
        rest = rest ^ low
        keep = rest != 0
        index, rest = index[keep], rest[keep]
    if not found:
        return np.zeros(0, dtype=np.intp)
    return np.sort(np.concatenate(found)) if len(found) > 1 else found[0]


def set_bits(words: np.ndarray, positions: np.ndarray) -> None:
    """Set the bits at ``positions`` (sample indices) in a packed bit array."""
    if positions.size:
        shifts = (positions & (WORD_BITS - 1)).astype(np.uint64)
        np.bitwise_or.at(words, positions >> 6, np.left_shift(np.uint64(1), shifts))


class RejectionCoins:
    """Bernoulli(A_i / B) draws for a run of samples, consumed in sample order.

    ``stream(d)`` gives the bit generator for draws of depth d (0: first draws, d: d-th redraw);
    each is created once and read in order, so cutting the samples into chunks differently
    never changes any draw. ``numerators`` are the A of each kind of sample; ``draw`` takes the
    kind of each sample and returns the outcomes.
    """

    def __init__(self, numerators: Sequence[int], denominator: int, stream: Callable[[int], object]):
        limit, thresholds = rejection_thresholds(numerators, denominator)
        self._limit = np.uint64(limit)
        self._thresholds = np.array(thresholds, dtype=np.uint64)
        self._stream = stream
        self._streams: list = []

    def _depth(self, d: int):
        while len(self._streams) <= d:
            self._streams.append(self._stream(len(self._streams)))
        return self._streams[d]

    def draw(self, kinds: np.ndarray) -> np.ndarray:
        out = np.zeros(kinds.size, dtype=bool)
        pending = np.arange(kinds.size)
        depth = 0
        while pending.size:
            words = self._depth(depth).random_raw(pending.size)
            accepted = words < self._limit
            chosen = pending[accepted]
            out[chosen] = words[accepted] < self._thresholds[kinds[chosen]]
            pending = pending[~accepted]
            depth += 1
        return out


def common_denominator(values: Sequence[Fraction]) -> int:
    return math.lcm(*(Fraction(v).denominator for v in values)) if values else 1
