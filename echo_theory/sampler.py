"""The sampler: series of the process, streamed in chunks of bounded size, exactly and reproducibly.

x_t ~ Bernoulli(p_x) and y_t ~ Bernoulli(P(y=1 | x[t-lag] for the rule lags)), honouring the
process's base, p_x and clip (``process.table`` is already clipped). One series is:

- **warmed up**: max-lag inputs are drawn before the first step, so every returned y_t has its
  full history; nothing wraps around.
- **streamed**: x lives in a packed bit buffer (64 steps per uint64 word) of one chunk plus the
  last max-lag inputs, carried across chunk borders; memory stays flat for any length.
- **exact**: every Bernoulli draw compares random bits with the probability's exact binary
  digits, finishing the rare ties with integer rejection (see ``bernoulli``); no probability is
  ever turned into a float.
- **reproducible**: randomness comes only from PCG64 streams of ``numpy.random.SeedSequence``
  children. Each kind of draw has its own stream, read in step order, so the chunk size never
  changes a series, and a shorter series is a prefix of a longer one.

Series number i of a seed is built on the seed's i-th spawned child, ``SeedSequence(seed).spawn``.
Inside a series, the streams are children of that child: x's digit planes (0, i), x's tie
redraws (1, d), y's digit planes or bytes (2, i), y's tie redraws (3, d).

Three paths draw y, chosen by the process alone (so a seed always gives the same series):

- ``bitsliced``: y's random digits are bit planes too. Each step's threshold digits become
  packed columns (unions of the configurations' indicator columns), one comparison covers 64
  steps per word operation, and popcounts of AND-ed columns count the cells. With k digits it
  costs about 2^n (2 k + n) word operations per 64 steps for n rules: the fast path for few
  rules. When every probability is a multiple of 2^-k (the seed's are quarters, k = 2), there
  are no ties and nothing else is drawn.
- ``general``: one random byte per step, compared with the threshold byte of the step's
  configuration (8 digits, ties 1 step in 256), counted with ``bincount``. Its cost hardly
  grows with n.
- ``summed`` (past SUMMED_FROM additive rules): the general path's bytes and ties, but each
  step's threshold is found by the sum of the fired shifts (in units of their gcd), built
  from one byte of inputs per group of 8 lags and a 256-entry sum table per group, so no 2^n
  table exists. The probabilities, and so the draws, are the table's; it draws series
  (``sample``, ``train``) but does not count configurations.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .bernoulli import (
    _BITCOUNT,
    WORD_BITS,
    RejectionCoins,
    common_denominator,
    compare_columns,
    compare_planes,
    dyadic_bits,
    rejection_thresholds,
    set_bits,
    split_probability,
    tie_positions,
)
from .errors import EchoTheoryError, LimitError, ProcessError

if TYPE_CHECKING:
    from .process import EchoProcess

Seed = int | np.random.SeedSequence

DEFAULT_CHUNK = 1 << 20  # steps per chunk: 16384 words, 128 KB per buffer; the fastest size here
LAZY_BITS = 10  # digits compared before a tie is finished by rejection: ties are 1 step in 1024
GENERAL_BITS = 8  # the general path draws one byte per step: ties are 1 step in 256
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
    # The summed path: per group of 8 lags, the sum (an index into ``y_coins``) of each byte
    # of their inputs; None for the other paths, where ``y_coins`` is indexed by configuration.
    sum_groups: tuple[tuple[int, ...], ...] | None = None

    @classmethod
    def of(cls, process: EchoProcess, method: str = "auto") -> SamplerPlan:
        if process.is_symbolic:
            names = ", ".join(sorted(str(s) for s in process.symbols))
            raise ProcessError(
                f"the rules hold symbols ({names}); simulating needs numbers: give shifts such as 3:+0.5"
            )
        if method not in METHODS:
            raise EchoTheoryError(f"method {method!r} is not one of {', '.join(METHODS)}")
        x_bits = _digits((process.p_x,))
        x_coin = _Coin(process.p_x, *split_probability(process.p_x, x_bits))
        n = len(process.lags)
        summable = process.is_additive and n > 0
        if method == "auto" and summable and n > SUMMED_FROM:
            method = "summed"
        if method == "summed":
            if not summable:
                raise EchoTheoryError("the summed path needs additive rules")
            table, groups = _summed_table(process)
        else:
            table, groups = tuple(Fraction(p) for p in process.table), None
        if method == "auto":
            k = _digits(table)
            method = "bitsliced" if 2**n * (2 * k + n) <= _BITSLICE_BUDGET else "general"
        y_bits = _digits(table) if method == "bitsliced" else GENERAL_BITS
        y_coins = tuple(_Coin(p, *split_probability(p, y_bits)) for p in table)
        x_residual, y_residual = _residuals((x_coin,)), _residuals(y_coins)
        return cls(process.lags, method, x_bits, x_coin, y_bits, y_coins, x_residual, y_residual, groups)

    @property
    def max_lag(self) -> int:
        return max(self.lags, default=0)

    @property
    def history_words(self) -> int:
        return -(-self.max_lag // WORD_BITS)

    # Lookup tables of the general path, built once per plan rather than once per series:
    # a simulation runs 64 series, and the pair table alone takes a fraction of a millisecond.

    @cached_property
    def threshold_bytes(self) -> np.ndarray:
        """Each configuration's threshold byte j (uint8): y = 1 when the random byte is below."""
        return np.array([c.j for c in self.y_coins], dtype=np.uint8)

    @cached_property
    def pair_thresholds(self) -> np.ndarray:
        """The threshold bytes of two steps at once, indexed by their two mask bytes read as one
        uint16: half as many lookups, from a 128 KB table that stays in cache."""
        padded = np.zeros(256, dtype=np.uint16)
        padded[: len(self.y_coins)] = self.threshold_bytes[:256]
        pair = np.arange(1 << 16)
        return padded[pair & 255] | padded[pair >> 8] << np.uint16(8)

    @cached_property
    def sure_kinds(self) -> np.ndarray:
        """Configurations with p = 1 (j = 255 and q = 1): a tie there is a success."""
        return np.array([c.p == 1 for c in self.y_coins])

    @cached_property
    def drawn_kinds(self) -> np.ndarray:
        """Configurations whose ties need a further draw."""
        return np.array([c.tie_draws for c in self.y_coins])

    @cached_property
    def any_tie(self) -> bool:
        """Whether some tie is a success or a draw (else ties are failures, and free)."""
        return any(c.q for c in self.y_coins)


def _summed_table(process: EchoProcess) -> tuple[tuple[Fraction, ...], tuple[tuple[int, ...], ...]]:
    """P(y=1) for every sum of the fired shifts, from the most negative in steps of their gcd,
    and the per-byte sums of each group of 8 lags (offset so that every index is >= 0). Sums no
    configuration reaches get a clamped value that is never used."""
    from .structured import Scaled

    scaled = Scaled.of(process)
    step = math.gcd(*scaled.shifts) or 1
    lowest = sum(a for a in scaled.shifts if a < 0)
    size = sum(abs(a) for a in scaled.shifts) // step + 1
    if size > MAX_SUMS:
        raise LimitError(
            f"the sums of {len(scaled.shifts)} shifts take up to {size} values; the sampler "
            f"tabulates at most {MAX_SUMS} (give shifts with a smaller common denominator)"
        )
    one = Fraction(1)
    table = tuple(
        min(max(Fraction(scaled.base + lowest + k * step, scaled.scale), Fraction(0)), one)
        for k in range(size)
    )
    groups = []
    for g in range(0, len(scaled.shifts), 8):
        shifts = [a // step for a in scaled.shifts[g : g + 8]]
        sums = [0]
        for a in shifts:
            sums += [t + a for t in sums]
        offset = -sum(a for a in shifts if a < 0)  # each group from its own lowest sum
        sums += [-offset] * (256 - len(sums))
        groups.append(tuple(t + offset for t in sums))
    return table, tuple(groups)


def root_seed(seed: Seed) -> np.random.SeedSequence:
    """A SeedSequence from an int >= 0 or a SeedSequence (used as given, never spawned from)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise EchoTheoryError(f"seed: {seed!r} is not an integer >= 0 or a numpy SeedSequence")
    return np.random.SeedSequence(int(seed))


def child_seed(seed: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The child ``seed.spawn`` would give at ``key``, built directly: spawning mutates the
    parent, and a SeedSequence passed twice must give the same series twice."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *key), pool_size=seed.pool_size)


def _bits(seed: np.random.SeedSequence, *key: int) -> np.random.PCG64:
    return np.random.PCG64(child_seed(seed, *key))


_ONES = np.uint64(2**64 - 1)


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


def _histogram(values: np.ndarray, bins: int) -> np.ndarray:
    """``np.bincount(values, minlength=bins)`` for small unsigned values, faster for bytes:
    bincount converts every value to an intp first, so pairs of bytes are counted as one
    uint16 (65536 bins, in cache) and the pair table is folded back into its two bytes."""
    if values.dtype != np.uint8 or values.size < 1 << 16:
        return np.bincount(values, minlength=bins)[:bins]
    even = values.size & ~1
    pairs = np.bincount(values[:even].view(np.uint16), minlength=1 << 16).reshape(256, 256)
    counts = pairs.sum(axis=0) + pairs.sum(axis=1)  # the first byte of a pair, then the second
    if even < values.size:
        counts[values[-1]] += 1
    return counts[:bins]


class _Series:
    """One series of the process, advanced a chunk at a time.

    After ``step(words, valid)``: ``x_words`` holds the chunk's inputs (the history words
    before them in ``buffer``), and the chunk's y is in ``y_words`` (bitsliced) or
    ``y_bytes`` with the configurations in ``masks`` (general). Steps past ``valid`` in the
    last word are drawn (so the random streams do not depend on where a series ends) but
    never counted or returned.
    """

    def __init__(
        self,
        plan: SamplerPlan,
        seed: np.random.SeedSequence,
        chunk_words: int,
        scratch: dict | None = None,
    ) -> None:
        self.plan = plan
        self._scratch = {} if scratch is None else scratch
        self.n = len(plan.lags)
        self.history = plan.history_words
        self.buffer = self._array("buffer", self.history + chunk_words, np.uint64)
        self.words = 0
        self.valid = 0
        # scratch words, preallocated once: glibc would map and unmap large temporaries per chunk
        longest = max(chunk_words, self.history)  # the warm-up may be longer than a chunk
        self._eq = self._array("_eq", longest, np.uint64)
        self._tmp = self._array("_tmp", longest, np.uint64)
        self._x_planes = [_bits(seed, 0, i) for i in range(plan.x_bits)]
        self._x_ties = self._coins(plan.x_residual, seed, 1)
        if plan.method == "bitsliced":
            self._y_planes = [_bits(seed, 2, i) for i in range(plan.y_bits)]
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
            self._threshold_digits = self._array("_threshold_digits", (k, chunk_words), np.uint64)
            self.columns = self._array("columns", (self.n, chunk_words), np.uint64)
            self.indicators = self._array("indicators", (2**self.n, chunk_words), np.uint64)
            self.y_words = self._array("y_words", chunk_words, np.uint64)
            self._valid = self._array("_valid", chunk_words, np.uint64)
            self._both = self._array("_both", (2**self.n, chunk_words), np.uint64)
            self._bytes = self._array("_bytes", (2**self.n, chunk_words), np.uint8)
        else:
            self._y_bytes = _bits(seed, 2, 0)
            steps = chunk_words * WORD_BITS
            self.mask_dtype = np.uint8 if self.n <= 7 else np.uint16  # mask * 2 + y must fit
            if plan.sum_groups is not None:  # the summed path: an index per distinct sum
                self.mask_dtype = np.uint32
                self._group_tables = [np.array(t, dtype=np.uint32) for t in plan.sum_groups]
                self._group_bytes = self._array("_group_bytes", steps, np.uint8)
                self._group_sum = self._array("_group_sum", steps, np.uint32)
            self._low = self._array("_low", steps, np.uint8)
            self._high = self._array("_high", steps, np.uint8)
            self._lag_column = self._array("_lag_column", chunk_words, np.uint64)
            self.masks = (
                self._low if self.mask_dtype == np.uint8 else self._array("masks", steps, self.mask_dtype)
            )
            self._shifted = self._array("_shifted", steps, self.mask_dtype)
            self._limits = self._array("_limits", steps, np.uint8)
            self.y_bytes = self._array("y_bytes", steps, bool)
            self._tie_flags = self._array("_tie_flags", steps, bool)
        self._y_ties = self._coins(plan.y_residual, seed, 3)
        if self.history:  # the warm-up: max-lag inputs before the first step
            self._draw_x(self.buffer[: self.history])

    def _array(self, name: str, shape, dtype) -> np.ndarray:
        """A buffer, reused from ``scratch`` when an earlier series of the same shape left one:
        fresh pages cost a fault each on first touch, for every block."""
        key = (name, shape, np.dtype(dtype).str)
        if key not in self._scratch:
            self._scratch[key] = np.empty(shape, dtype=dtype)
        return self._scratch[key]

    @staticmethod
    def _coins(residual: Residual | None, seed: np.random.SeedSequence, key: int) -> RejectionCoins | None:
        if residual is None:
            return None
        numerators, denominator = residual
        return RejectionCoins(numerators, denominator, lambda depth: _bits(seed, key, depth))

    @property
    def x_words(self) -> np.ndarray:
        return self.buffer[self.history : self.history + self.words]

    def step(self, words: int, valid: int) -> None:
        if self.words and self.history:  # carry the last max-lag inputs to the front
            self.buffer[: self.history] = self.buffer[self.words : self.words + self.history]
        self.words, self.valid = words, valid
        self._draw_x(self.x_words)
        if self.plan.method == "bitsliced":
            self._draw_y_bitsliced()
        else:
            self._draw_y_general()

    # --- x ----------------------------------------------------------------------------------

    def _draw_x(self, out: np.ndarray) -> None:
        coin, w = self.plan.x_coin, out.size
        if coin.constant:
            out.fill(_ONES if coin.p == 1 else np.uint64(0))
            return
        eq, tmp = self._eq[:w], self._tmp[:w]
        eq.fill(_ONES)
        out.fill(np.uint64(0))
        zeros = [stream.random_raw(w) for stream in self._x_planes]
        compare_planes(zeros, coin.j, eq, out, tmp, need_tie=coin.tie_draws)
        if coin.tie_draws:
            where = tie_positions(eq)
            set_bits(out, where[self._x_ties.draw(np.zeros(where.size, dtype=np.intp))])

    # --- y, bit-sliced ----------------------------------------------------------------------

    def _column(self, lag: int, out: np.ndarray) -> None:
        """x[t - lag] for the chunk's steps, as packed words read from the buffer."""
        start = self.history * WORD_BITS - lag
        q, r = divmod(start, WORD_BITS)
        w = self.words
        if r == 0:
            out[:] = self.buffer[q : q + w]
            return
        np.right_shift(self.buffer[q : q + w], np.uint64(r), out=out)
        np.left_shift(self.buffer[q + 1 : q + 1 + w], np.uint64(WORD_BITS - r), out=self._tmp[:w])
        np.bitwise_or(out, self._tmp[:w], out=out)

    def _draw_y_bitsliced(self) -> None:
        w = self.words
        indicators = self.indicators[:, :w]
        # indicator of each configuration mask, built one lag at a time from the valid steps
        valid = self._valid[:w]
        valid.fill(_ONES)
        tail = self.valid - (w - 1) * WORD_BITS
        if tail < WORD_BITS:
            valid[-1] = np.uint64((1 << tail) - 1)
        indicators[0] = valid
        for i, lag in enumerate(self.plan.lags):
            column = self.columns[i, :w]
            self._column(lag, column)
            half = 1 << i
            np.bitwise_and(indicators[:half], column, out=indicators[half : 2 * half])
            np.bitwise_xor(indicators[:half], indicators[half : 2 * half], out=indicators[:half])
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

    # --- y, general ---------------------------------------------------------------------------

    def _draw_y_general(self) -> None:
        w = self.words
        steps = w * WORD_BITS
        masks = self._masks(steps) if self.plan.sum_groups is None else self._sums(steps)
        draws = self._y_bytes.random_raw(steps // 8).view(np.uint8)
        limits = self._limits[:steps]
        if self.mask_dtype == np.uint8:
            np.take(self.plan.pair_thresholds, masks.view(np.uint16), out=limits.view(np.uint16), mode="clip")
        else:
            np.take(self.plan.threshold_bytes, masks, out=limits)
        y = np.less(draws, limits, out=self.y_bytes[:steps])
        if not self.plan.any_tie:
            return
        # ties: the byte equals the threshold byte (only counted steps are finished)
        ties = np.equal(draws[: self.valid], limits[: self.valid], out=self._tie_flags[: self.valid])
        where = np.flatnonzero(ties)
        kinds = masks[where].astype(np.intp)
        y[where[self.plan.sure_kinds[kinds]]] = True
        if self._y_ties is not None:
            pick = self.plan.drawn_kinds[kinds]
            where, kinds = where[pick], kinds[pick]
            y[where[self._y_ties.draw(kinds)]] = True

    def _sums(self, steps: int) -> np.ndarray:
        """Each step's index into the sum table: per group of 8 lags, one byte per step of their
        inputs (as ``_masks`` builds it, 8 steps per word operation), whose sum is a lookup;
        the groups' sums add up."""
        w = self.words
        total = self.masks[:steps]
        byte = self._group_bytes[:steps]
        words = byte.view(np.uint64)
        column = self._lag_column[:w]
        for g, table in enumerate(self._group_tables):
            byte.fill(0)
            for i, lag in enumerate(self.plan.lags[8 * g : 8 * g + 8]):
                self._column(lag, column)
                bits = np.unpackbits(column.view(np.uint8), bitorder="little").view(np.uint64)
                if i:
                    np.left_shift(bits, np.uint64(i), out=bits)
                np.bitwise_or(words, bits, out=words)
            if g == 0:
                np.take(table, byte, out=total)
            else:
                np.take(table, byte, out=self._group_sum[:steps])
                np.add(total, self._group_sum[:steps], out=total)
        return total

    def _masks(self, steps: int) -> np.ndarray:
        """Each step's configuration mask, a byte (two for 8 or more lags). A lag's column unpacks
        to bytes of 0 and 1, and a shift puts that bit in place inside every byte at once, so
        the work runs on uint64 words, 8 steps each."""
        w = self.words
        halves = [self._low[:steps]] + ([self._high[:steps]] if self.n > 8 else [])
        for half in halves:
            half.fill(0)
        column = self._lag_column[:w]
        for i, lag in enumerate(self.plan.lags):
            self._column(lag, column)
            bits = np.unpackbits(column.view(np.uint8), bitorder="little").view(np.uint64)
            np.left_shift(bits, np.uint64(i % 8), out=bits)
            target = halves[i // 8].view(np.uint64)
            np.bitwise_or(target, bits, out=target)
        if self.mask_dtype == np.uint8:
            return halves[0]
        masks = self.masks[:steps]
        np.copyto(masks, halves[0])
        if self.n > 8:
            np.bitwise_or(masks, halves[1].astype(np.uint16) << 8, out=masks)
        return masks

    # --- what a chunk gives -------------------------------------------------------------------

    def counts(self, out: np.ndarray) -> None:
        """Add the chunk's counts of (configuration mask, y) to ``out`` (shape (2^n, 2))."""
        if self.plan.method == "bitsliced":
            w = self.words
            indicators, both = self.indicators[:, :w], self._both[:, :w]
            np.bitwise_and(indicators, self.y_words[:w], out=both)
            ones = _BITCOUNT(both, out=self._bytes[:, :w]).sum(axis=1, dtype=np.int64)
            totals = _BITCOUNT(indicators, out=self._bytes[:, :w]).sum(axis=1, dtype=np.int64)
            out[:, 1] += ones
            out[:, 0] += totals - ones
        else:
            steps, v = self.words * WORD_BITS, self.valid
            index, masks, y = self._shifted[:steps], self.masks[:steps], self.y_bytes[:steps]
            if self.mask_dtype == np.uint8:  # mask * 2 + y, 8 steps per uint64 word
                index, masks, y = index.view(np.uint64), masks.view(np.uint64), y.view(np.uint64)
            np.left_shift(masks, index.dtype.type(1), out=index)
            np.bitwise_or(index, y, out=index)
            out += _histogram(self._shifted[:v], 2 * 2**self.n).reshape(-1, 2)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The chunk's x and y as uint8 arrays of 0 and 1."""
        v = self.valid
        x = np.unpackbits(self.x_words.view(np.uint8), bitorder="little", count=v)
        if self.plan.method == "bitsliced":
            y = np.unpackbits(self.y_words[: self.words].view(np.uint8), bitorder="little", count=v)
        else:
            y = self.y_bytes[:v].astype(np.uint8)
        return x, y


def _check_length(length: int, what: str = "length") -> int:
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
        raise EchoTheoryError(f"{what}: {length!r} is not a whole number >= 0")
    return int(length)


def _check_chunk(chunk_size: int) -> int:
    chunk_size = _check_length(chunk_size, "chunk_size")
    if chunk_size < WORD_BITS or chunk_size % WORD_BITS:
        raise EchoTheoryError(f"chunk_size: {chunk_size} is not a positive multiple of {WORD_BITS}")
    return chunk_size


def _series(
    plan: SamplerPlan,
    seed: np.random.SeedSequence,
    length: int,
    chunk_size: int,
    scratch: dict | None = None,
) -> Iterator[_Series]:
    words = min(chunk_size, max(length, 1) + WORD_BITS - 1) // WORD_BITS
    series = _Series(plan, seed, words, scratch)
    done = 0
    while done < length:
        valid = min(chunk_size, length - done)
        series.step(-(-valid // WORD_BITS), valid)
        yield series
        done += valid


def iter_chunks(
    process: EchoProcess,
    length: int,
    seed: Seed,
    chunk_size: int = DEFAULT_CHUNK,
    method: str = "auto",
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Series 0 of ``seed``, ``length`` steps, as (x, y) uint8 chunks of at most ``chunk_size`` steps.

    The chunks are the same series whatever ``chunk_size`` (a multiple of 64) is; memory stays
    at a few chunk-sized buffers. ``method`` forces a path (for tests); the default picks one
    from the process.
    """
    plan = SamplerPlan.of(process, method)
    length, chunk_size = _check_length(length), _check_chunk(chunk_size)
    for series in _series(plan, child_seed(root_seed(seed), 0), length, chunk_size):
        yield series.arrays()


def sample_series(
    process: EchoProcess, length: int, seed: int | np.random.SeedSequence
) -> tuple[np.ndarray, np.ndarray]:
    """x and y of one series of ``process``: two uint8 arrays of 0 and 1, each ``length`` long.

    Every y_t has its full history: max-lag inputs are drawn before step 0 and not returned, so
    y_0 already depends on real x[-lag]. The series depends on (process, length, seed) alone:
    the same on every call, whatever the chunking, and a prefix of any longer series of the
    same seed. It is series 0 of the seed as ``iter_chunks`` streams it, built by the same
    machinery that counts the validator's blocks (block i is series i): one sampler for all.

    >>> from echo_theory import EchoProcess
    >>> x, y = sample_series(EchoProcess(["3:+0.5", "8:-0.25"]), 100_000, seed=1)
    >>> x.dtype, x.shape, y.shape
    (dtype('uint8'), (100000,), (100000,))
    >>> round(float(y[3:][x[:-3] == 1].mean()), 2)        # P(y=1 | x[t-3]=1) = 7/8
    0.88
    """
    length = _check_length(length)
    xs, ys = [], []
    for x, y in iter_chunks(process, length, seed):
        xs.append(x)
        ys.append(y)
    if not xs:
        return np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.uint8)
    return np.concatenate(xs), np.concatenate(ys)


def count_series(
    plan: SamplerPlan,
    seed: np.random.SeedSequence,
    length: int,
    chunk_size: int = DEFAULT_CHUNK,
    scratch: dict | None = None,
) -> np.ndarray:
    """Counts of (configuration mask over the rule lags, y) in one series: shape (2^n, 2), int64.

    ``seed`` is the series' own SeedSequence (``child_seed(root, i)`` for series i). ``scratch``
    (a dict, empty at first) lets consecutive calls reuse their buffers; never share one between
    series that are alive at the same time.
    """
    if plan.sum_groups is not None:
        raise LimitError(
            f"counting every configuration of {len(plan.lags)} rules needs 2^{len(plan.lags)} cells; "
            f"the summed path draws series (sample, train) but does not count them"
        )
    counts = np.zeros((2 ** len(plan.lags), 2), dtype=np.int64)
    for series in _series(plan, seed, _check_length(length), _check_chunk(chunk_size), scratch):
        series.counts(counts)
    return counts
