"""Counting configurations without drawing y: the validator's fast way to count (mask, y).

Given the inputs, the y_t are independent, each Bernoulli(p of its configuration), so given how
many steps each configuration m holds, n_m, the number of them with y = 1 is Binomial(n_m, p_m)
and independent across m. A block's counts of (mask, y) therefore have the same distribution
whether y is drawn step by step or, once the n_m are known, as one exact binomial per
configuration (``binomial.BinomialCoins``, ``draw_y``): about 2 random bits per step instead of
a byte, a threshold lookup and a second histogram. The inputs are the sampler's own series
(the same x stream as every path), so n_m is exactly what ``sample`` would give for the seed.

``MaskSeries`` draws only x and counts the masks, by the fastest way for the number of lags:

- up to TREE_LAGS lags, on packed words: the configurations' indicator columns, split lag by
  lag (a node and a column give node & column and node & ~column), and popcounts at the leaves;
  about 2^n word operations per 64 steps.
- past it, one byte (or uint16) mask per step, built lag by lag as the general path builds it,
  and one histogram.
"""

from __future__ import annotations

import numpy as np

from .. import binomial
from ..bernoulli import _BITCOUNT, WORD_BITS
from .chunks import _series
from .general import configuration_masks, histogram
from .plan import SamplerPlan
from .series import _ONES, Series

TREE_LAGS = 4  # the packed split beat the byte histogram here up to 4 lags, tied at 5


class MaskSeries(Series):
    """x only (``draw_y`` draws nothing); ``mask_counts`` adds the chunk's masks to a count."""

    def setup(self, seed: np.random.SeedSequence, chunk_words: int) -> None:
        self._tree = self.n <= TREE_LAGS
        if self._tree:
            self._column = self.array("_column", chunk_words, np.uint64)
            # level k holds the 2^k indicator columns of the first k lags
            self._levels = [self.array(f"_level{k}", (1 << k, chunk_words), np.uint64) for k in range(self.n)]
            leaves = (1 << max(self.n - 1, 0), chunk_words)  # the last split, only counted
            self._leaf = self.array("_leaf", leaves, np.uint64)
            self._leaf_bits = self.array("_leaf_bits", leaves, np.uint8)
            return
        steps = chunk_words * WORD_BITS
        self._low = self.array("_low", steps, np.uint8)
        wide = np.uint16 if self.n <= 16 else np.uint32
        self._wide = None if self.n <= 8 else self.array("_wide", steps, wide)

    def draw_y(self) -> None:
        pass

    def mask_counts(self, out: np.ndarray) -> None:
        """Add each configuration mask's steps in the chunk to ``out`` (shape (2^n,), int64)."""
        if self._tree:
            self._tree_counts(out)
            return
        steps, v = self.words * WORD_BITS, self.valid
        masks = configuration_masks(self, steps, self._low, self._wide)
        out += histogram(masks[:v], out.size, self)

    def _tree_counts(self, out: np.ndarray) -> None:
        w, n = self.words, self.n
        if n == 0:
            out[0] += self.valid
            return
        node = self._levels[0][:, :w]
        node.fill(_ONES)
        extra = self.valid - (w - 1) * WORD_BITS  # the valid steps of the last word
        if extra < WORD_BITS:
            node[0, -1] = np.uint64((1 << extra) - 1)
        column = self._column[:w]
        for k, lag in enumerate(self.plan.lags):
            self.column(lag, column)
            if k == n - 1:  # the leaves: only their popcounts are needed
                leaf, bits = self._leaf[:, :w], self._leaf_bits[:, :w]
                np.bitwise_and(node, column, out=leaf)
                ones = _BITCOUNT(leaf, out=bits).sum(axis=1, dtype=np.int64)
                every = _BITCOUNT(node, out=bits).sum(axis=1, dtype=np.int64)
                half = 1 << k
                out[half:] += ones
                out[:half] += every - ones
                return
            child = self._levels[k + 1][:, :w]
            size = 1 << k
            np.bitwise_and(node, column, out=child[size:])  # lag k's input is 1: mask bit k set
            np.bitwise_xor(node, child[size:], out=child[:size])
            node = child


def count_masks(
    plan: SamplerPlan,
    seed: np.random.SeedSequence,
    length: int,
    chunk_size: int,
    scratch: dict | None = None,
) -> np.ndarray:
    """The steps of each configuration mask in one series of ``length`` steps, shape (2^n,):
    the series' inputs only (its x stream, as on every path), whatever the chunk size."""
    steps = np.zeros(2 ** len(plan.lags), dtype=np.int64)
    for series in _series(plan, seed, length, chunk_size, scratch, MaskSeries):
        series.mask_counts(steps)
    return steps


def draw_y(plan: SamplerPlan, counts: np.ndarray, stream: np.random.BitGenerator) -> np.ndarray:
    """Draw y in place: ``counts[..., m, 0]`` holds the steps of mask m (the last but one axis
    runs over the masks); each becomes Binomial(steps, p_m) draws of y = 1 in ``counts[..., m,
    1]`` and the rest in ``counts[..., m, 0]``. Rows go in groups of ``GROUP_CELLS`` counts, as
    ``BinomialCoins.draw`` takes them, so nothing of the table's size is allocated."""
    coins, kinds = plan.binomial_coins, counts.shape[-2]
    table = counts.reshape(-1, kinds, 2)
    step = max(binomial.GROUP_CELLS // kinds, 1)
    for start in range(0, table.shape[0], step):
        rows = table[start : start + step]
        ones = coins.draw(rows[:, :, 0], stream)
        rows[:, :, 0] -= ones
        rows[:, :, 1] = ones
    return counts
