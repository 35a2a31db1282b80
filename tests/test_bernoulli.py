"""Exact Bernoulli draws: the threshold arithmetic, checked exhaustively on small words."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from echo_theory.bernoulli import (
    RejectionCoins,
    compare_columns,
    compare_planes,
    dyadic_bits,
    rejection_thresholds,
    set_bits,
    split_probability,
    tie_positions,
)
from echo_theory.errors import LimitError

probabilities = st.fractions(min_value=0, max_value=1, max_denominator=10**6)


@given(probabilities, st.integers(0, 16))
def test_split_is_exact(p, k):
    j, q = split_probability(p, k)
    assert 0 <= j < 2**k and 0 <= q <= 1
    # J uniform on 0 .. 2^k - 1: J < j with probability j / 2^k, and the tie J = j wins with q
    assert Fraction(j, 2**k) + q * Fraction(1, 2**k) == p


@given(probabilities, st.integers(1, 12))
def test_dyadic_probabilities_need_no_tie_draw(p, k):
    _, q = split_probability(p, k)
    if (p * 2**k).denominator == 1:  # a multiple of 2^-k
        assert q in (0, 1)
    else:
        assert 0 < q < 1


def test_dyadic_bits():
    assert [dyadic_bits(Fraction(n, d)) for n, d in [(0, 1), (1, 2), (3, 8), (5, 1024)]] == [0, 1, 3, 10]
    assert dyadic_bits(Fraction(1, 3)) is None and dyadic_bits(Fraction(3, 10)) is None


@pytest.mark.parametrize("bits", [6, 8])
def test_rejection_thresholds_are_exact_for_every_fraction(bits):
    """Every A/B with B < 2^bits: among the accepted words, exactly the fraction A/B succeed."""
    words = np.arange(2**bits)
    for denominator in range(1, 2**bits):
        numerators = list(range(denominator + 1))
        limit, thresholds = rejection_thresholds(numerators, denominator, bits=bits)
        accepted = words[words < limit]
        assert accepted.size == limit and limit <= 2**bits - 1
        assert 2 * limit >= 2**bits - 1  # at least half the words are kept
        for a, t in zip(numerators, thresholds, strict=True):
            assert Fraction(int((accepted < t).sum()), accepted.size) == Fraction(a, denominator)


def test_rejection_thresholds_fit_64_bits():
    for denominator in [3, 10**19 + 1, 2**64 - 1]:
        limit, (low, high) = rejection_thresholds([1, denominator], denominator)
        assert limit == high <= 2**64 - 1 and low == limit // denominator
    with pytest.raises(LimitError, match="needs more than 64 bits"):
        rejection_thresholds([1], 2**64)


def planes_of(values, k):
    """Bit planes of k-digit integers, 64 samples per word: zeros[i] marks digit i (MSB first) = 0."""
    zeros = []
    for i in range(k):
        digit = (np.asarray(values) >> (k - 1 - i)) & 1
        zeros.append(np.packbits(digit == 0, bitorder="little").view(np.uint64).copy())
    return zeros


def unpack(words):
    return np.unpackbits(words.view(np.uint8), bitorder="little").astype(bool)


@pytest.mark.parametrize("k", [1, 3, 4])
def test_compare_planes_against_integers(k):
    rng = np.random.default_rng(5)
    values = rng.integers(0, 2**k, 128)
    zeros = planes_of(values, k)
    selected = rng.integers(0, 2, 128).astype(bool)
    for j in range(2**k):
        eq = np.packbits(selected, bitorder="little").view(np.uint64).copy()
        lt = np.zeros(2, dtype=np.uint64)
        compare_planes(zeros, j, eq, lt, np.empty(2, dtype=np.uint64))
        assert (unpack(lt) == (selected & (values < j))).all()
        assert (unpack(eq) == (selected & (values == j))).all()
        # without the tie, the walk may stop early, but "below" is the same
        lt2 = np.zeros(2, dtype=np.uint64)
        eq2 = np.packbits(selected, bitorder="little").view(np.uint64).copy()
        compare_planes(zeros, j, eq2, lt2, np.empty(2, dtype=np.uint64), need_tie=False)
        assert (lt2 == lt).all()


def test_compare_columns_with_a_threshold_per_sample():
    k = 4
    rng = np.random.default_rng(6)
    values, thresholds = rng.integers(0, 2**k, 192), rng.integers(0, 2**k, 192)
    zeros = planes_of(values, k)
    digits = np.array([~z for z in planes_of(thresholds, k)])  # ones where j's digit is 1
    eq = np.full(3, np.uint64(2**64 - 1))
    lt = np.zeros(3, dtype=np.uint64)
    compare_columns(zeros, digits, eq, lt, np.empty(3, dtype=np.uint64))
    assert (unpack(lt) == (values < thresholds)).all()
    assert (unpack(eq) == (values == thresholds)).all()


def test_tie_positions_and_set_bits():
    rng = np.random.default_rng(7)
    flags = rng.random(64 * 50) < 0.05
    flags[[0, 63, 64, 64 * 50 - 1]] = True
    words = np.packbits(flags, bitorder="little").view(np.uint64).copy()
    assert (tie_positions(words) == np.flatnonzero(flags)).all()
    assert tie_positions(np.zeros(4, dtype=np.uint64)).size == 0
    blank = np.zeros_like(words)
    set_bits(blank, np.flatnonzero(flags))
    assert (blank == words).all()


class Scripted:
    """A bit generator that returns given words, to steer the rejection."""

    def __init__(self, words):
        self.words = list(words)

    def random_raw(self, n):
        taken, self.words = self.words[:n], self.words[n:]
        assert len(taken) == n, "drew more words than scripted"
        return np.array(taken, dtype=np.uint64)


def test_rejected_words_are_redrawn_from_the_next_depth():
    r = (2**64 - 1) // 3  # Bernoulli(1/3) and Bernoulli(2/3): accept u < 3 r = 2^64 - 1
    streams = {0: Scripted([2**64 - 1, 0, r]), 1: Scripted([2**64 - 1]), 2: Scripted([r - 1])}
    coins = RejectionCoins([1, 2], 3, lambda depth: streams[depth])
    # sample 0 (kind 0) is rejected twice, then r - 1 < r: success; sample 1 draws 0: success;
    # sample 2 (kind 0) draws r: not below r, a failure
    assert coins.draw(np.array([0, 1, 0])).tolist() == [True, True, False]


def test_draws_do_not_depend_on_how_samples_are_split():
    def make():
        return RejectionCoins([1, 5, 6], 7, lambda depth: np.random.PCG64(np.random.SeedSequence([9, depth])))

    kinds = np.random.default_rng(8).integers(0, 3, 1000)
    whole = make().draw(kinds)
    parts = make()
    split = np.concatenate([parts.draw(kinds[a:b]) for a, b in [(0, 1), (1, 400), (400, 401), (401, 1000)]])
    assert (whole == split).all()
    # and the frequencies are those of 1/7, 5/7, 6/7 (about 330 draws each: 5 sigma bounds)
    for kind, p in enumerate([1 / 7, 5 / 7, 6 / 7]):
        drawn = whole[kinds == kind]
        assert abs(drawn.mean() - p) < 5 * np.sqrt(p * (1 - p) / drawn.size)
