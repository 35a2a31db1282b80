"""The summed path (past SUMMED_FROM additive rules): the byte path's draws and ties, but each
step's kind is the sum of the fired shifts (``SumLayout``: k = sum of w_i z_i), so no 2^n table
exists. k is built whole chunks at a time from one byte of x per step: products w_i z_i added
in uint8 while a group's weights sum to at most 255 (equal weights share one product), then the
groups added in the index's dtype. The probabilities, and so the draws, are the table's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .general import ByteSeries, take
from .series import Series

Term = tuple[int, int, bool]  # lag, weight, negative (the term is w (1 - x[t - lag]))


def index_dtype(size: int) -> type:
    """The smallest unsigned dtype that holds 0 .. size - 1."""
    return np.uint8 if size <= 1 << 8 else np.uint16 if size <= 1 << 16 else np.uint32


def _groups(terms: Sequence[Term]) -> tuple[list[list[Term]], list[Term]]:
    """The terms in runs whose weights sum to at most 255 (a uint8 holds their sum), and those
    too heavy for any run; weight 0 adds nothing and is dropped."""
    runs: list[list[Term]] = [[]]
    total, heavy = 0, []
    for term in terms:
        w = term[1]
        if w > 255:
            heavy.append(term)
        elif w:
            if total + w > 255:
                runs.append([])
                total = 0
            runs[-1].append(term)
            total += w
    return [run for run in runs if run], heavy


def _accumulate(series: Series, run: Sequence[Term], out: np.ndarray) -> None:
    """sum of w z over ``run`` into the uint8 ``out``; terms of equal weight share one product."""
    steps = out.size
    tmp = series.array("_sum_tmp", series.buffer.size * 64, np.uint8)[:steps]
    by_weight: dict[int, list[Term]] = {}
    for term in run:
        by_weight.setdefault(term[1], []).append(term)
    for i, (w, members) in enumerate(by_weight.items()):
        columns = [series.lagged(lag, steps, negative) for lag, _, negative in members]
        source = columns[0]
        if len(columns) > 1:
            np.add(columns[0], columns[1], out=tmp)
            for column in columns[2:]:
                np.add(tmp, column, out=tmp)
            source = tmp
        if i == 0:
            if w == 1:
                np.copyto(out, source)
            else:
                np.multiply(source, w, out=out)
        elif w == 1:
            np.add(out, source, out=out)
        else:
            np.multiply(source, w, out=tmp)
            np.add(out, tmp, out=out)


def weighted_sum(series: Series, terms: Sequence[Term], out: np.ndarray) -> np.ndarray:
    """sum over ``terms`` of w z for the chunk's steps, into ``out`` (uint8, uint16 or uint32,
    wide enough for the total)."""
    steps = out.size
    runs, heavy = _groups(terms)
    if not runs and not heavy:
        out.fill(0)
        return out
    if out.dtype == np.uint8 and len(runs) == 1 and not heavy:
        _accumulate(series, runs[0], out)
        return out
    run_sum = series.array("_run_sum", series.buffer.size * 64, np.uint8)[:steps]
    for r, run in enumerate(runs):
        _accumulate(series, run, run_sum)
        if r == 0:
            np.copyto(out, run_sum)
        else:
            np.add(out, run_sum, out=out)
    if heavy:
        wide = series.array("_heavy", series.buffer.size * 64, out.dtype)[:steps]
        for h, (lag, w, negative) in enumerate(heavy):
            np.multiply(series.lagged(lag, steps, negative), out.dtype.type(w), out=wide)
            if h == 0 and not runs:
                np.copyto(out, wide)
            else:
                np.add(out, wide, out=out)
    return out


class SummedSeries(ByteSeries):
    """The index is the sum index k of ``plan.sums``, which is also the kind."""

    def setup_index(self, chunk_words: int) -> None:
        layout = self.plan.sums
        self._terms = list(zip(self.plan.lags, layout.weights, layout.negative, strict=True))
        self.dtype = index_dtype(layout.size)
        self._k = self.array("_k", chunk_words * 64, self.dtype)

    def build_index(self, steps: int) -> np.ndarray:
        return weighted_sum(self, self._terms, self._k[:steps])

    def limits(self, index: np.ndarray, out: np.ndarray) -> None:
        if index.dtype == np.uint8:  # two steps per lookup
            take(
                self.plan.pair_sum_thresholds, index.view(np.uint16), out.view(np.uint16), self.intp_scratch()
            )
        else:
            take(self.plan.threshold_bytes, index, out, self.intp_scratch())
