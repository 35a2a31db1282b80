"""The byte paths: one random byte per step, compared with the threshold byte of the step's kind
(8 digits; the ties, 1 step in 256, are finished exactly by rejection).

``ByteSeries`` is what both byte paths share: the draw, the ties and y. ``GeneralSeries``
indexes the kind by the configuration mask, built from one byte of x per step (x is unpacked
once per chunk, then each lag is a view at its offset): mask = 2 mask + x[t - lag], lag by lag,
whole chunks at a time in uint8 (two-byte or four-byte masks past 7 lags). It keeps twice the
mask, so that the count's key, mask * 2 + y, is one more operation, and counts the keys with
``bincount``; up to 7 lags two steps' keys are counted as one uint16 and their thresholds
looked up as one pair. Its cost hardly grows with n.
"""

from __future__ import annotations

import numpy as np

from ..errors import LimitError
from .series import Series, bits, rejection_coins

MAX_MASK_LAGS = 31  # the doubled mask is a uint32


# NumPy turns every index into an intp before a lookup or a count: 8 bytes an element, 8 MB for
# a chunk of 2^20 two-byte indices. Lookups and counts go in slices of this many elements, so
# those temporaries stay at 2 MB whatever the chunk.
_SLICE = 1 << 18


def take(table: np.ndarray, index: np.ndarray, out: np.ndarray, scratch: np.ndarray) -> None:
    """``np.take(table, index, out=out)`` (every index is in range), a slice at a time, each
    slice's indices copied to the intp ``scratch`` (at least _SLICE long) first. NumPy would
    make that copy itself, in memory it maps and unmaps at every call: a page fault per 4 KB,
    a third of the time of a six-rule run here."""
    for start in range(0, index.size, _SLICE):
        part = index[start : start + _SLICE]
        indices = scratch[: part.size]
        np.copyto(indices, part)
        np.take(table, indices, out=out[start : start + _SLICE], mode="clip")


def _bincount(values: np.ndarray, bins: int, series: Series | None = None) -> np.ndarray:
    """``np.bincount(values, minlength=bins)`` for values below ``bins``, a slice at a time. With
    a ``series``, each slice is copied to its intp scratch first: bincount would make that copy
    itself, and such temporaries, mapped and unmapped at every call, can fault a page per 4 KB."""
    counts = np.zeros(bins, dtype=np.intp)
    scratch = None if series is None else series.array("_intp", _SLICE, np.intp)
    for start in range(0, values.size, _SLICE):
        part = values[start : start + _SLICE]
        if scratch is not None:
            np.copyto(scratch[: part.size], part)
            part = scratch[: part.size]
        counts += np.bincount(part, minlength=bins)[:bins]
    return counts


def histogram(values: np.ndarray, bins: int, series: Series | None = None) -> np.ndarray:
    """``np.bincount(values, minlength=bins)`` for unsigned values below ``bins``, faster for
    bytes: bincount handles every element as an intp, so two bytes of w = log2(bins) bits are
    counted as one value of 2w bits (4096 bins for six-bit masks, in cache) and the pair table
    is folded back. ``series`` lends buffers (``_bincount``)."""
    width = max(bins - 1, 1).bit_length()
    if values.dtype != np.uint8 or values.size < 1 << 16 or width > 7:
        return _bincount(values, bins, series)
    even = values.size & ~1
    pairs = values[:even].view(np.uint16)  # first byte low, second byte high
    if series is None:
        joint, high = np.empty_like(pairs), np.empty_like(pairs)
    else:
        joint = series.array("_pairs", pairs.size, np.uint16)[: pairs.size]
        high = series.array("_pairs_high", pairs.size, np.uint16)[: pairs.size]
    low_bits = np.uint16((1 << width) - 1)
    np.bitwise_and(pairs, low_bits, out=joint)
    np.right_shift(pairs, np.uint16(8 - width), out=high)  # the second byte at bit w
    np.bitwise_and(high, np.uint16(int(low_bits) << width), out=high)
    np.bitwise_or(joint, high, out=joint)
    table = _bincount(joint, 1 << 2 * width, series).reshape(1 << width, 1 << width)
    counts = table.sum(axis=0) + table.sum(axis=1)  # the first byte of a pair, then the second
    if even < values.size:
        counts[values[-1]] += 1
    return counts[:bins]


def _flag_positions(flags: np.ndarray) -> np.ndarray:
    """``np.flatnonzero(flags)`` for sparse bool flags: the words of 8 flags that hold one, then
    the flags inside them."""
    full = flags.size & ~7
    words = flags[:full].view(np.uint64)
    hit = np.flatnonzero(words != 0)
    inside = np.flatnonzero(words[hit].view(np.uint8))
    where = hit[inside >> 3] * 8 + (inside & 7)
    if full < flags.size:
        where = np.concatenate([where, full + np.flatnonzero(flags[full:])])
    return where


def mask_dtype(lags: int) -> type:
    """The dtype of twice a mask over ``lags`` lags."""
    if lags > MAX_MASK_LAGS:
        raise LimitError(f"the configuration masks of {lags} lags do not fit 32 bits")
    return np.uint8 if lags <= 7 else np.uint16 if lags <= 15 else np.uint32


class ByteSeries(Series):
    """y in ``y_bytes`` (bool); each step's kind index in ``kinds_of(index)``."""

    def setup(self, seed: np.random.SeedSequence, chunk_words: int) -> None:
        steps = chunk_words * 64
        self._y_stream = bits(seed, 2, 0)
        self._y_ties = rejection_coins(self.plan.y_residual, seed, 3)
        self._limits = self.array("_limits", steps, np.uint8)
        self.y_bytes = self.array("y_bytes", steps, bool)
        self._tie_flags = self.array("_tie_flags", steps, bool)
        self.index = None
        self.setup_index(chunk_words)

    def setup_index(self, chunk_words: int) -> None:
        raise NotImplementedError

    def build_index(self, steps: int) -> np.ndarray:
        """Each step's index (of the chunk's ``steps``), from which its kind is read."""
        raise NotImplementedError

    def limits(self, index: np.ndarray, out: np.ndarray) -> None:
        """Each step's threshold byte, from its index."""
        raise NotImplementedError

    def kinds_of(self, index: np.ndarray) -> np.ndarray:
        """The kinds (indices into ``plan.y_coins``) of some steps' indices."""
        return index

    def draw_y(self) -> None:
        steps = self.words * 64
        plan = self.plan
        self.index = index = self.build_index(steps)
        draws = self._y_stream.random_raw(steps // 8).view(np.uint8)
        limits = self._limits[:steps]
        self.limits(index, limits)
        y = np.less(draws, limits, out=self.y_bytes[:steps])
        if not plan.any_tie:
            return
        # ties: the byte equals the threshold byte (only counted steps are finished)
        v = self.valid
        where = _flag_positions(np.equal(draws[:v], limits[:v], out=self._tie_flags[:v]))
        kinds = self.kinds_of(index[where]).astype(np.intp)
        if plan.any_sure:
            y[where[plan.sure_kinds[kinds]]] = True
        if self._y_ties is not None:
            pick = plan.drawn_kinds[kinds]
            where, kinds = where[pick], kinds[pick]
            y[where[self._y_ties.draw(kinds)]] = True

    def y_flags(self) -> np.ndarray:
        return self.y_bytes[: self.words * 64]

    def intp_scratch(self) -> np.ndarray:
        return self.array("_intp", _SLICE, np.intp)


def horner(series: Series, lags, out: np.ndarray) -> np.ndarray:
    """sum of x[t - lags[i]] 2^i over the chunk's steps, into the uint8 ``out`` (at most 8 lags)."""
    steps = out.size
    if not lags:
        out.fill(0)
        return out
    np.copyto(out, series.lagged(lags[-1], steps))
    for lag in lags[-2::-1]:
        np.add(out, out, out=out)
        np.add(out, series.lagged(lag, steps), out=out)
    return out


def configuration_masks(series: Series, steps: int, low: np.ndarray, wide: np.ndarray | None) -> np.ndarray:
    """The chunk's first ``steps`` configuration masks, sum of x[t - lags[i]] 2^i: in the uint8
    buffer ``low`` up to 8 lags, else in ``wide`` (uint16 or uint32), a byte of 8 lags at a time."""
    lags, low = series.plan.lags, low[:steps]
    if wide is None:
        return horner(series, lags, low)
    wide = wide[:steps]
    groups = [lags[g : g + 8] for g in range(0, len(lags), 8)]
    for g, group in enumerate(reversed(groups)):  # the top byte first
        byte = horner(series, group, low)
        if g == 0:
            np.copyto(wide, byte)
        else:
            np.left_shift(wide, 8, out=wide)
            np.add(wide, byte, out=wide)
    return wide


class GeneralSeries(ByteSeries):
    """The index is twice the configuration mask: ``index >> 1`` is the kind."""

    def setup_index(self, chunk_words: int) -> None:
        steps = chunk_words * 64
        self.dtype = mask_dtype(self.n)
        self._low = self.array("_low", steps, np.uint8)
        self._wide = None if self.dtype == np.uint8 else self.array("_wide", steps, self.dtype)

    def build_index(self, steps: int) -> np.ndarray:
        index = configuration_masks(self, steps, self._low, self._wide)
        np.add(index, index, out=index)
        return index

    def limits(self, index: np.ndarray, out: np.ndarray) -> None:
        if index.dtype == np.uint8:  # two steps per lookup
            take(self.plan.pair_thresholds, index.view(np.uint16), out.view(np.uint16), self.intp_scratch())
        else:
            take(self.plan.doubled_thresholds, index, out, self.intp_scratch())

    def kinds_of(self, index: np.ndarray) -> np.ndarray:
        return index >> 1

    def counts(self, out: np.ndarray) -> None:
        """Add the chunk's counts of (configuration mask, y) to ``out`` (shape (2^n, 2)). The
        keys overwrite the index: call it once per chunk, after ``step``."""
        steps, v = self.words * 64, self.valid
        key, y = self.index[:steps], self.y_bytes[:steps]
        if key.dtype == np.uint8:  # 8 steps per uint64 word
            np.bitwise_or(key.view(np.uint64), y.view(np.uint64), out=key.view(np.uint64))
        else:
            np.bitwise_or(key, y, out=key)
        out += histogram(key[:v], 2 * 2**self.n, self).reshape(-1, 2)
