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
  lag as the bit-sliced path splits them (``bitsliced.split_indicators``), and their popcounts;
  about 2^n word operations per 64 steps.
- past it, one byte (or uint16) mask per step, built lag by lag as the general path builds it,
  and one histogram.
"""

from __future__ import annotations

import numpy as np

from .. import binomial
from ..bernoulli import _BITCOUNT, WORD_BITS
from .bitsliced import split_indicators
from .chunks import _series
from .general import configuration_masks, histogram
from .plan import SamplerPlan
from .series import Series

TREE_LAGS = 4  # the packed split beat the byte histogram here up to 4 lags, tied at 5


class MaskSeries(Series):
    """x only (``draw_y`` draws nothing); ``mask_counts`` adds the chunk's masks to a count."""

    def setup(self, seed: np.random.SeedSequence, chunk_words: int) -> None:
        self._tree = self.n <= TREE_LAGS
        if self._tree:
            self._columns = self.array("_columns", (self.n, chunk_words), np.uint64)
            self._indicators = self.array("_indicators", (2**self.n, chunk_words), np.uint64)
            self._bits = self.array("_bits", (2**self.n, chunk_words), np.uint8)
            self._valid = self.array("_valid", chunk_words, np.uint64)
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
        w = self.words
        indicators = self._indicators[:, :w]
        split_indicators(self, indicators, self._columns[:, :w], self._valid[:w])
        out += _BITCOUNT(indicators, out=self._bits[:, :w]).sum(axis=1, dtype=np.int64)


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
