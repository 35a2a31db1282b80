"""Exact binomial draws: the exact pmf, the digit walk on chosen bits, and reproducibility."""

import math
from fractions import Fraction

import numpy as np
import pytest

from echo_theory import binomial
from echo_theory.binomial import BinomialCoins


class Words:
    """A bit generator that returns the given 64-bit words in order, then ``rest`` forever."""

    def __init__(self, words, rest):
        self.words, self.rest, self.used = list(words), rest, 0

    def random_raw(self, size=None):
        count = 1 if size is None else size
        out = [self.words.pop(0) if self.words else self.rest for _ in range(count)]
        self.used += count
        return out[0] if size is None else np.array(out, dtype=np.uint64)


def pmf(n, p):
    return [math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def chi_square_z(observed, expected):
    """Wilson-Hilferty z of the chi-square statistic over the cells expected at least 5 times:
    about standard normal under the null, so z < 5 is a one-in-3.5-million false alarm."""
    cells = [(o, e) for o, e in zip(observed, expected, strict=True) if e >= 5]
    statistic = sum((o - e) ** 2 / e for o, e in cells)
    df = len(cells) - 1
    return ((statistic / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))


@pytest.mark.parametrize("finish_below", [0, 1, 3, binomial.FINISH_BELOW])
@pytest.mark.parametrize("p", [Fraction(1, 3), Fraction(7, 100), Fraction(3, 4), Fraction(99, 100)])
def test_draws_follow_the_exact_binomial(monkeypatch, p, finish_below):
    # finish_below 0 halves through all 64 digits and then finishes on the next 64; the default
    # finishes these few trials at once: both walks must give Binomial(n, p)
    monkeypatch.setattr(binomial, "FINISH_BELOW", finish_below)
    n, kinds, rounds = 12, 2000, 10  # the kinds of one call are independent draws too
    coins = BinomialCoins([p] * kinds + [Fraction(1, 2)] * kinds)
    trials = np.array([n] * kinds + [3] * kinds)
    stream = np.random.PCG64(11)
    outcomes = np.concatenate([coins.draw(trials, stream).reshape(2, kinds) for _ in range(rounds)], axis=1)
    draws = kinds * rounds
    expected = [draws * float(q) for q in pmf(n, p)]
    assert chi_square_z(np.bincount(outcomes[0], minlength=n + 1), expected) < 5
    halves = [draws * float(q) for q in pmf(3, Fraction(1, 2))]
    assert chi_square_z(np.bincount(outcomes[1], minlength=4), halves) < 5


def test_many_trials_have_the_binomial_mean_and_variance():
    ps = [Fraction(k, 100) for k in range(1, 100, 7)] + [Fraction(1, 3), Fraction(1, 2**70 + 1)]
    coins = BinomialCoins(ps)
    n = np.array([10**6 + 17 * k for k in range(len(ps))])
    stream = np.random.PCG64(5)
    outcomes = np.array([coins.draw(n, stream) for _ in range(400)])
    for k, p in enumerate(ps):
        mean, variance = n[k] * float(p), n[k] * float(p) * (1 - float(p))
        if variance < 1e-6:  # p = 1/(2^70 + 1): a success in 10^6 trials is one in 10^15
            assert (outcomes[:, k] == 0).all()
            continue
        z_mean = (outcomes[:, k].mean() - mean) / math.sqrt(variance / 400)
        assert abs(z_mean) < 5, (p, z_mean)
        # the sample variance of 400 draws has a relative standard error of sqrt(2 / 399)
        assert abs(outcomes[:, k].var() / variance - 1) < 5 * math.sqrt(2 / 399), p


def test_the_window_is_the_next_64_digits():
    ps = [Fraction(1, 3), Fraction(7, 100), Fraction(3, 4), Fraction(2**64 - 1, 2**64 + 13)]
    ps.append(Fraction(1, 10**30))
    coins = BinomialCoins(ps)
    live = np.arange(len(ps))
    for digit in range(65):
        # digits digit + 1 .. digit + 64 of p: floor(2^(digit + 64) p) mod 2^64, in Fractions
        reference = [int(p * 2 ** (digit + 64)) % 2**64 for p in ps]
        assert coins.window(live, digit).tolist() == reference, digit


def test_certain_and_impossible_kinds_draw_nothing():
    coins = BinomialCoins([Fraction(0), Fraction(1), Fraction(1, 2)])
    stream = Words([], rest=0)
    assert coins.draw(np.array([7, 9, 0]), stream).tolist() == [0, 9, 0]
    assert stream.used == 0


@pytest.mark.parametrize("n", [1, 5, 10**5])
def test_uniform_zero_succeeds_and_uniform_one_fails(n):
    # every random bit 0 is U = 0, below any p > 0; every bit 1 is U = 1 - 2^-inf, above any p < 1
    ps = [Fraction(1, 3), Fraction(1, 10**30), Fraction(3, 4), Fraction(1, 2)]
    coins = BinomialCoins(ps)
    trials = np.full(len(ps), n)
    assert coins.draw(trials, Words([], rest=0)).tolist() == [n] * len(ps)
    assert coins.draw(trials, Words([], rest=2**64 - 1)).tolist() == [0] * len(ps)


def test_a_tie_on_the_next_digits_reads_further_digits():
    third = 0x5555_5555_5555_5555  # 1/3 = 0.010101... in binary: every 64 digits alike
    coins = BinomialCoins([Fraction(1, 3)])
    # one trial finishes at once: its word ties p's 64 digits, then the next 64, then decides
    assert coins.draw(np.array([1]), Words([third, third, third - 1], rest=0)).tolist() == [1]
    assert coins.draw(np.array([1]), Words([third, third, third + 1], rest=0)).tolist() == [0]
    # a dyadic p ends: a tie on its last digits is above it as soon as any further bit is 1
    half = BinomialCoins([Fraction(1, 2)])
    assert half.draw(np.array([1]), Words([2**63, 0, 1], rest=0)).tolist() == [0]


class Counted:
    """PCG64 words, counted as they are read."""

    def __init__(self, seed):
        self.inner, self.used = np.random.PCG64(seed), 0

    def random_raw(self, size=None):
        self.used += 1 if size is None else size
        return self.inner.random_raw(size)


def test_about_two_random_bits_per_trial():
    stream = Counted(3)
    BinomialCoins([Fraction(1, 3)]).draw(np.array([10**6]), stream)
    # the halving reads 10^6 + 5 10^5 + ... bits; the last few thousand trials a word each
    assert stream.used * 64 < 2 * 10**6 + 64 * binomial.FINISH_BELOW


def test_the_same_stream_gives_the_same_draws_and_bad_input_is_refused():
    coins = BinomialCoins([Fraction(1, 3), Fraction(2, 7)])
    a = coins.draw(np.array([1000, 10**5]), np.random.PCG64(1))
    b = coins.draw(np.array([1000, 10**5]), np.random.PCG64(1))
    assert (a == b).all()
    with pytest.raises(ValueError):
        coins.draw(np.array([1, -1]), np.random.PCG64(1))
    with pytest.raises(ValueError):
        coins.draw(np.array([1, 2, 3]), np.random.PCG64(1))
    with pytest.raises(ValueError):
        BinomialCoins([Fraction(3, 2)])


@pytest.mark.parametrize("half_words", [1, 3, 64])
def test_slicing_the_words_never_changes_a_draw(monkeypatch, half_words):
    # a halving pass draws its words in slices to bound memory: the same words, the same draws
    coins = BinomialCoins([Fraction(1, 3), Fraction(7, 100), Fraction(1, 2), Fraction(5, 8)])
    trials = np.array([[10**5, 70, 1, 64], [129, 10**4, 63, 0], [5000, 1, 10**5, 65]])
    whole = coins.draw(trials, np.random.PCG64(2))
    monkeypatch.setattr(binomial, "HALF_WORDS", half_words)
    assert (coins.draw(trials, np.random.PCG64(2)) == whole).all()
