"""The one pass over the rows that ``score`` makes: weighted bincounts per batch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..estimate import batch_edges


@dataclass
class Sums:
    """What the verdict needs of the rows, reduced batch by batch so that memory stays small:

    - per batch: the loss sum (of -log p(y)) and the predicted rows, for the loss's standard error;
    - per batch and rule lag: rows and sum of p with x[t - lag] = 1, then = 0, over the rows that
      see the lag, for the lag effects and their standard errors;
    - over all batches, per visibility class and input code: rows, sum of log p and of log(1-p),
      for the divergences.
    """

    loss_batches: np.ndarray  # (K,)
    sample_batches: np.ndarray  # (K,)
    effects: np.ndarray  # (K, lags, 4): count1, sum1, count0, sum0
    counts: np.ndarray  # (classes, codes)
    log_p: np.ndarray
    log_q: np.ndarray

    @property
    def samples(self) -> int:
        return int(self.sample_batches.sum())

    @property
    def loss_total(self) -> float:
        return float(self.loss_batches.sum())


class Pass:
    """One pass over the batches, one weighted bincount per sum. A row's key is its visibility
    class, its y and its input code (bit i: x[t - lags[i]]). Class v means that the first v rule
    lags are in view: v = n for every row with all lags in view when there is no window, and
    v = the number of lags <= the row's window position with one; class n + 1 holds the rows
    that count only in the loss (t < the largest lag, without a window)."""

    def __init__(self, scorer, x, y, p, clean: bool, batches: int | None = None) -> None:
        self.scorer, self.x, self.y, self.p, self.clean, self.batches = scorer, x, y, p, clean, batches
        self.lags = scorer.lags
        self.top = max(self.lags, default=0)
        self.window = scorer.window

    def run(self) -> Sums:
        lags, top, n, length = self.lags, self.top, len(self.lags), self.x.size
        edges = batch_edges(length, top, self.batches, what="rows")
        edges[0] = 0  # the loss counts the first rows too (without a window, in class n + 1)
        batches, size, classes = len(edges) - 1, 2**n, n + 2
        cells = classes * 2 * size
        positions = self._classes() if self.window else None
        stats = n + 1  # the classes of the statistics' rows
        codes = np.arange(size)
        ones = [((codes >> i) & 1).astype(bool) for i in range(n)]
        loss_batches, sample_batches = np.zeros(batches), np.zeros(batches)
        effects = np.zeros((batches, n, 4))
        totals = np.zeros((3, stats, size))
        # x[t - lag] is padded[t + top - lag]: the rows before top read zeros, which only rows
        # that cannot see those lags (window positions < lag, or class n + 1) ever touch
        padded = np.concatenate([np.zeros(top, dtype=np.uint8), self.x]) if top else self.x
        dtype = np.int64 if n > 12 else (np.uint16 if n > 5 else np.uint8)
        longest = int(max(np.diff(edges)))
        scratch = np.empty((2, longest))
        code_buffer, bits_buffer = np.empty((2, longest), dtype=dtype)
        key_buffer = np.empty(longest, dtype=np.intp)
        for b in range(batches):
            start, stop = edges[b], edges[b + 1]
            p = self.p[start:stop]
            # key = ((class * 2 + y) * 2^n + code), built in preallocated buffers (no temporaries)
            code, bits = code_buffer[: stop - start], bits_buffer[: stop - start]
            np.left_shift(self.y[start:stop], n, out=code, dtype=dtype)
            for i, lag in enumerate(lags):
                np.left_shift(padded[start + top - lag : stop + top - lag], i, out=bits, dtype=dtype)
                np.bitwise_or(code, bits, out=code)
            key = key_buffer[: stop - start]
            if positions is None:
                np.add(code, 2 * n * size, out=key, dtype=np.intp)
                key[: max(0, top - start)] += 2 * size  # class n + 1
            else:
                np.multiply(positions[start:stop], 2 * size, out=key)
                key += code
            if not self.clean:
                valid = ~np.isnan(p)
                if not valid.all():
                    p, key = p[valid], key[valid]
            log_p, log_q = (buffer[: p.size] for buffer in scratch)
            np.log(p, out=log_p)
            np.subtract(1.0, p, out=log_q)
            np.log(log_q, out=log_q)
            count = np.bincount(key, minlength=cells).reshape(classes, 2, size)
            log_ps = np.bincount(key, weights=log_p, minlength=cells).reshape(classes, 2, size)
            log_qs = np.bincount(key, weights=log_q, minlength=cells).reshape(classes, 2, size)
            p_sums = (
                np.bincount(key, weights=p, minlength=cells).reshape(classes, 2, size)[:stats].sum(axis=1)
            )
            loss_batches[b] = -(log_ps[:, 1].sum() + log_qs[:, 0].sum())
            sample_batches[b] = count.sum()
            count = count[:stats].sum(axis=1)
            for i in range(n):
                seen_count, seen_sum = count[i + 1 :], p_sums[i + 1 :]  # the classes that see lag i
                effects[b, i] = (
                    seen_count[:, ones[i]].sum(),
                    seen_sum[:, ones[i]].sum(),
                    seen_count[:, ~ones[i]].sum(),
                    seen_sum[:, ~ones[i]].sum(),
                )
            totals[0] += count
            totals[1] += log_ps[:stats].sum(axis=1)
            totals[2] += log_qs[:stats].sum(axis=1)
        return Sums(loss_batches, sample_batches, effects, totals[0], totals[1], totals[2])

    def _classes(self) -> np.ndarray:
        """Each row's visibility class under the window protocol: how many rule lags are <= its
        position k in its window (see ``window_positions``)."""
        position = window_positions(self.p, self.window)
        return np.searchsorted(np.asarray(self.lags), position, side="right")


def window_positions(p: np.ndarray, window: int) -> np.ndarray:
    """Each row's position k in its window: windows start at row 0, every T rows, and again
    after every NaN row (a model's warm-up, or the steps ``train`` drops at a row's end)."""
    valid = ~np.isnan(p)
    index = np.arange(valid.size)
    starts = valid.copy()
    starts[1:] &= ~valid[:-1]
    start = np.maximum.accumulate(np.where(starts, index, 0))
    return (index - start) % window
