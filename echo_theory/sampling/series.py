"""One series of the process, advanced a chunk at a time: the seeds, the inputs and the loop that
every path shares. Each path (``bitsliced``, ``general``, ``summed``) adds how y is drawn."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..bernoulli import WORD_BITS, RejectionCoins, compare_planes, set_bits, tie_positions
from ..errors import EchoTheoryError
from .plan import Residual, SamplerPlan

Seed = int | np.random.SeedSequence

_ONES = np.uint64(2**64 - 1)


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


def bits(seed: np.random.SeedSequence, *key: int) -> np.random.PCG64:
    return np.random.PCG64(child_seed(seed, *key))


def rejection_coins(
    residual: Residual | None, seed: np.random.SeedSequence, key: int
) -> RejectionCoins | None:
    if residual is None:
        return None
    numerators, denominator = residual
    return RejectionCoins(numerators, denominator, lambda depth: bits(seed, key, depth))


class Series:
    """One series: x in a packed bit buffer (64 steps per word) of one chunk plus the last
    max-lag inputs, carried across chunk borders, and y drawn by a subclass.

    After ``step(words, valid)``: ``x_words`` holds the chunk's inputs (the history words
    before them in ``buffer``). Steps past ``valid`` in the last word are drawn (so the random
    streams do not depend on where a series ends) but never counted or returned.
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
        self.buffer = self.array("buffer", self.history + chunk_words, np.uint64)
        self.words = 0
        self.valid = 0
        # scratch words, preallocated once: glibc would map and unmap large temporaries per chunk
        longest = max(chunk_words, self.history)  # the warm-up may be longer than a chunk
        self._eq = self.array("_eq", longest, np.uint64)
        self._tmp = self.array("_tmp", longest, np.uint64)
        self._x_planes = [bits(seed, 0, i) for i in range(plan.x_bits)]
        self._x_ties = rejection_coins(plan.x_residual, seed, 1)
        self._x_bytes = self._x_not = None
        self.setup(seed, chunk_words)
        if self.history:  # the warm-up: max-lag inputs before the first step
            self._draw_x(self.buffer[: self.history])

    def setup(self, seed: np.random.SeedSequence, chunk_words: int) -> None:
        """The path's streams and buffers."""
        raise NotImplementedError

    def draw_y(self) -> None:
        """Draw the chunk's y."""
        raise NotImplementedError

    def counts(self, out: np.ndarray) -> None:
        """Add the chunk's counts of (configuration mask, y) to ``out`` (shape (2^n, 2))."""
        raise NotImplementedError

    def y_flags(self) -> np.ndarray:
        """The chunk's y, one byte of 0 or 1 per drawn step (a bool or uint8 array)."""
        raise NotImplementedError

    def array(self, name: str, shape, dtype) -> np.ndarray:
        """A buffer, reused from ``scratch`` when an earlier series of the same shape left one:
        fresh pages cost a fault each on first touch, for every block."""
        key = (name, shape, np.dtype(dtype).str)
        if key not in self._scratch:
            self._scratch[key] = np.empty(shape, dtype=dtype)
        return self._scratch[key]

    @property
    def x_words(self) -> np.ndarray:
        return self.buffer[self.history : self.history + self.words]

    def column(self, lag: int, out: np.ndarray) -> None:
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

    def x_bytes(self) -> np.ndarray:
        """x as one byte (0 or 1) per step, from the first history input to the chunk's last
        step: x[t - lag] of the chunk's step t is element ``64 history + t - lag``. Unpacked
        once per chunk, on first use."""
        if self._x_bytes is None:
            words = self.buffer[: self.history + self.words]
            self._x_bytes = np.unpackbits(words.view(np.uint8), bitorder="little")
        return self._x_bytes

    def lagged(self, lag: int, steps: int, negative: bool = False) -> np.ndarray:
        """x[t - lag] for the chunk's first ``steps`` steps, as bytes (a view); with
        ``negative``, 1 - x[t - lag]."""
        start = self.history * WORD_BITS - lag
        if not negative:
            return self.x_bytes()[start : start + steps]
        if self._x_not is None:
            x = self.x_bytes()
            self._x_not = np.bitwise_xor(
                x, 1, out=self.array("_x_not", self.buffer.size * WORD_BITS, np.uint8)[: x.size]
            )
        return self._x_not[start : start + steps]

    def step(self, words: int, valid: int) -> None:
        if self.words and self.history:  # carry the last max-lag inputs to the front
            self.buffer[: self.history] = self.buffer[self.words : self.words + self.history]
        self.words, self.valid = words, valid
        self._x_bytes = self._x_not = None
        self._draw_x(self.x_words)
        self.draw_y()

    def _draw_x(self, out: np.ndarray) -> None:
        coin, w = self.plan.x_coin, out.size
        if coin.constant:
            out.fill(_ONES if coin.p == 1 else np.uint64(0))
            return
        if coin.p == Fraction(1, 2):  # one digit, j = 1: x = [J = 0], the zeros word itself
            out[:] = self._x_planes[0].random_raw(w)
            return
        eq, tmp = self._eq[:w], self._tmp[:w]
        eq.fill(_ONES)
        out.fill(np.uint64(0))
        zeros = [stream.random_raw(w) for stream in self._x_planes]
        compare_planes(zeros, coin.j, eq, out, tmp, need_tie=coin.tie_draws)
        if coin.tie_draws:
            where = tie_positions(eq)
            set_bits(out, where[self._x_ties.draw(np.zeros(where.size, dtype=np.intp))])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The chunk's x and y as uint8 arrays of 0 and 1."""
        v = self.valid
        if self._x_bytes is None:
            x = np.unpackbits(self.x_words.view(np.uint8), bitorder="little", count=v)
        else:  # the byte paths have unpacked it already
            x = self.lagged(0, v).copy()
        return x, self.y_flags()[:v].astype(np.uint8)
