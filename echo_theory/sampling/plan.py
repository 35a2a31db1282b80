"""What the sampler draws for a process: the exact coins of x and y, and the path, fixed by the
process alone (so a seed always gives the same series).

A probability p is compared lazily on k digits: 2^k p = j + q, the first k random digits J give
y = [J < j], and a tie J = j is finished by a Bernoulli(q) draw (``bernoulli``). The ties of
every kind share one rejection denominator, the least common multiple of their q's. That
denominator is taken over the probabilities the process can reach, and nothing else, so the
paths that index y's probability differently (by configuration, by sum of the fired shifts)
make the same draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from ..bernoulli import common_denominator, dyadic_bits, rejection_thresholds, split_probability
from ..binomial import BinomialCoins
from ..errors import EchoTheoryError, LimitError, ProcessError

if TYPE_CHECKING:
    from ..process import EchoProcess

DEFAULT_CHUNK = 1 << 20  # steps per chunk: 16384 words, 128 KB per packed buffer, 1 MB per byte buffer
LAZY_BITS = 10  # digits compared before a tie is finished by rejection: ties are 1 step in 1024
GENERAL_BITS = 8  # the byte paths draw one byte per step: ties are 1 step in 256
_BITSLICE_BUDGET = 1000  # largest 2^n (2 k + n) for which the bit-sliced path was faster here
METHODS = ("auto", "bitsliced", "general", "summed")
SUMMED_FROM = 12  # above this many additive rules, y's threshold comes from the sum of the shifts
MAX_SUMS = 1 << 20  # distinct sums the summed path tabulates (one threshold byte each)


@dataclass(frozen=True)
class _Coin:
    """A probability ready for lazy comparison on k digits: 2^k p = j + q."""

    p: Fraction
    j: int
    q: Fraction

    @property
    def constant(self) -> bool:
        return self.p in (0, 1)

    @property
    def tie_draws(self) -> bool:
        """Whether a tie needs a further draw (q strictly between 0 and 1)."""
        return not self.constant and 0 < self.q < 1


Residual = tuple[tuple[int, ...], int]  # numerators of each kind of tie, common denominator


def _residuals(coins: tuple[_Coin, ...]) -> Residual | None:
    """What the ties draw, Bernoulli(q) per kind, as integers over one denominator (checked to fit
    the 64-bit rejection); None when no tie needs a draw."""
    if not any(c.tie_draws for c in coins):
        return None
    residuals = [c.q if c.tie_draws else Fraction(0) for c in coins]
    denominator = common_denominator(residuals)
    numerators = tuple(int(q * denominator) for q in residuals)
    rejection_thresholds(numerators, denominator)  # a LimitError now, not in a worker later
    return numerators, denominator


def _digits(probabilities: tuple[Fraction, ...]) -> int:
    """How many digits to compare: enough for every dyadic probability, else LAZY_BITS."""
    bits = [dyadic_bits(p) for p in probabilities]
    if all(b is not None for b in bits):
        return min(max(bits, default=0), LAZY_BITS)
    return LAZY_BITS


@dataclass(frozen=True)
class SumLayout:
    """How the summed path indexes y's probability: k = sum over the lags of w_i z_i, where
    w_i = |shift_i| / g (g the gcd of the scaled shifts) and z_i is x[t - lag_i] for a positive
    shift, 1 - x[t - lag_i] for a negative one. k runs over 0 .. size - 1 and the fired shifts
    sum to g (k - sum of the negative w_i) / L; every k >= 0, so it indexes a table."""

    weights: tuple[int, ...]  # by lag index, as ``process.lags``
    negative: tuple[bool, ...]

    @property
    def size(self) -> int:
        return sum(self.weights) + 1

    def reachable(self) -> int:
        """The sums some configuration reaches, as the bits of an integer (bit k: sum k)."""
        reach = 1
        for w in self.weights:
            reach |= reach << w
        return reach


@dataclass(frozen=True)
class SamplerPlan:
    """What the sampler draws for a process: thresholds and the path, fixed by the process alone."""

    lags: tuple[int, ...]
    method: str
    x_bits: int
    x_coin: _Coin
    y_bits: int
    y_coins: tuple[_Coin, ...]
    x_residual: Residual | None
    y_residual: Residual | None
    # The summed path: how each step's sum index is built (``y_coins`` is indexed by it); None
    # for the other paths, where ``y_coins`` is indexed by the configuration mask.
    sums: SumLayout | None = None

    @classmethod
    def of(cls, process: EchoProcess, method: str = "auto") -> SamplerPlan:
        check_samplable(process, method)
        x_bits = _digits((process.p_x,))
        x_coin = _Coin(process.p_x, *split_probability(process.p_x, x_bits))
        n = len(process.lags)
        summable = process.is_additive and n > 0
        if method == "auto" and summable and n > SUMMED_FROM:
            method = "summed"
        if method == "summed":
            if not summable:
                raise EchoTheoryError("the summed path needs additive rules")
            table, sums = _summed_table(process)
        else:
            table, sums = tuple(Fraction(p) for p in process.table), None
        if method == "auto":
            k = _digits(table)
            method = "bitsliced" if 2**n * (2 * k + n) <= _BITSLICE_BUDGET else "general"
        y_bits = _digits(table) if method == "bitsliced" else GENERAL_BITS
        y_coins = tuple(_Coin(p, *split_probability(p, y_bits)) for p in table)
        x_residual, y_residual = _residuals((x_coin,)), _residuals(y_coins)
        return cls(process.lags, method, x_bits, x_coin, y_bits, y_coins, x_residual, y_residual, sums)

    @property
    def max_lag(self) -> int:
        return max(self.lags, default=0)

    @property
    def history_words(self) -> int:
        return -(-self.max_lag // 64)

    # Lookup tables of the byte paths, built once per plan rather than once per series: a
    # simulation runs 64 series, and the pair table alone takes a fraction of a millisecond.

    @cached_property
    def threshold_bytes(self) -> np.ndarray:
        """Each kind's threshold byte j (uint8): y = 1 when the random byte is below."""
        return np.array([c.j for c in self.y_coins], dtype=np.uint8)

    @cached_property
    def doubled_thresholds(self) -> np.ndarray:
        """The threshold bytes indexed by twice the configuration mask (the general path keeps
        2 mask, so that mask * 2 + y is one more operation); odd entries are never read."""
        doubled = np.zeros(2 * len(self.y_coins), dtype=np.uint8)
        doubled[::2] = self.threshold_bytes
        return doubled

    @cached_property
    def pair_thresholds(self) -> np.ndarray:
        """The threshold bytes of two steps at once, indexed by their two doubled mask bytes read
        as one uint16 (masks of up to 7 lags): half as many lookups, from a 128 KB table."""
        return _pairs(self.doubled_thresholds)

    @cached_property
    def pair_sum_thresholds(self) -> np.ndarray:
        """The same for two sum indices below 256 (the summed path with few distinct sums)."""
        return _pairs(self.threshold_bytes)

    @cached_property
    def binomial_coins(self) -> BinomialCoins:
        """y's exact binomial draws per kind (``masks.draw_y``)."""
        return BinomialCoins([c.p for c in self.y_coins])

    @cached_property
    def sure_kinds(self) -> np.ndarray:
        """Kinds with p = 1 (j = 255 and q = 1): a tie there is a success."""
        return np.array([c.p == 1 for c in self.y_coins])

    @cached_property
    def any_sure(self) -> bool:
        return bool(self.sure_kinds.any())

    @cached_property
    def drawn_kinds(self) -> np.ndarray:
        """Kinds whose ties need a further draw."""
        return np.array([c.tie_draws for c in self.y_coins])

    @cached_property
    def any_tie(self) -> bool:
        """Whether some tie is a success or a draw (else ties are failures, and free)."""
        return any(c.q for c in self.y_coins)


def check_samplable(process: EchoProcess, method: str = "auto") -> None:
    """The errors ``SamplerPlan.of`` would raise before any table is built: symbols, a method."""
    if process.is_symbolic:
        names = ", ".join(sorted(str(s) for s in process.symbols))
        raise ProcessError(
            f"the rules hold symbols ({names}); simulating needs numbers: give shifts such as 3:+0.5"
        )
    if method not in METHODS:
        raise EchoTheoryError(f"method {method!r} is not one of {', '.join(METHODS)}")


def _pairs(table: np.ndarray) -> np.ndarray:
    """The entries of two byte indices read as one little-endian uint16, as a uint16 pair."""
    padded = np.zeros(256, dtype=np.uint16)
    padded[: min(table.size, 256)] = table[:256]
    pair = np.arange(1 << 16)
    return padded[pair & 255] | padded[pair >> 8] << np.uint16(8)


def _summed_table(process: EchoProcess) -> tuple[tuple[Fraction, ...], SumLayout]:
    """P(y=1) for every sum index k of the layout. A sum no configuration reaches gets 0: it is
    never read, and it must not take part in the ties' common denominator, or the draws would
    differ from the configuration table's."""
    from ..structured import Scaled

    scaled = Scaled.of(process)
    step = math.gcd(*scaled.shifts) or 1
    layout = SumLayout(tuple(abs(a) // step for a in scaled.shifts), tuple(a < 0 for a in scaled.shifts))
    if layout.size > MAX_SUMS:
        raise LimitError(
            f"the sums of {len(scaled.shifts)} shifts take up to {layout.size} values; the sampler "
            f"tabulates at most {MAX_SUMS} (give shifts with a smaller common denominator)"
        )
    lowest = sum(a for a in scaled.shifts if a < 0)
    reach = layout.reachable()
    zero, one = Fraction(0), Fraction(1)
    table = tuple(
        min(max(Fraction(scaled.base + lowest + k * step, scaled.scale), zero), one)
        if reach >> k & 1
        else zero
        for k in range(layout.size)
    )
    return table, layout
