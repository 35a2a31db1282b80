"""Estimates of H(Y | X_S) from data: plug-in, Miller-Madow, and a standard error for dependent steps.

They work on any binary series (``count_table``), or on counts already made (``CountTable``),
such as the simulator's. Counts are kept per *batch*, a stretch of steps, because the steps are
dependent: neighbouring (x[t-lag], y_t) tuples share inputs, so a standard error that treats the
steps as independent is wrong.

- **Plug-in**: H = -sum over (c, y) of n(c, y)/N log(n(c, y)/n(c)), with 0 log 0 = 0: a
  configuration or outcome that never occurs contributes nothing.
- **Miller-Madow**: H + (cells(c, y) - cells(c)) / (2N), counting the nonempty cells: the
  first-order correction of the plug-in's downward bias, for H(Y, C) - H(C).
- **Standard error, batch means with the delta method**: to first order, H - H_true is the mean
  of f_t = -log P(y_t | c_t) - H_true (the influence function of a conditional entropy). Its
  variance is estimated from the batch sums F_b = sum of f_t over batch b:
  Var(H) = K/(K-1) sum_b (F_b - H N_b)^2 / N^2 for K batches of N_b steps. It needs batches
  whose sums are (nearly) independent. The simulator's batches are independent series (its
  blocks), so this holds exactly. For one series cut into contiguous batches, f_t and f_s are
  independent once |t - s| exceeds the largest lag for the sampler's process, so only the
  few steps near each border correlate; batches of at least 20 (max lag + 1) steps keep that
  below a few percent of the variance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import render
from .errors import EchoTheoryError, LimitError, ParseError
from .exact import all_subsets
from .results import RowsByLearned
from .rules import MAX_LAG, format_lags, parse_lags
from .value import check_units

if TYPE_CHECKING:
    import pandas

MAX_LAGS = 12  # every subset gets a row: 2^n rows, each summing a 2^n-cell table
MAX_BATCHES = 64
MIN_BATCHES = 16  # fewer and the standard error itself is too uncertain to judge by
BATCH_FACTOR = 20  # a contiguous batch spans at least 20 (max lag + 1) steps


@dataclass(frozen=True)
class CountTable:
    """Counts of (configuration of ``lags``, y) for each batch of steps.

    ``counts[b, mask, y]``: bit i of ``mask`` is x[t - lags[i]], lags in increasing order.
    ``independent`` says whether the batches are independent series (the simulator's blocks)
    or contiguous stretches of one series.
    """

    lags: tuple[int, ...]
    counts: np.ndarray
    independent: bool = False

    def __post_init__(self) -> None:
        lags = tuple(int(lag) for lag in self.lags)
        if list(lags) != sorted(set(lags)):
            raise EchoTheoryError(f"lags {lags} are not distinct and increasing")
        counts = np.asarray(self.counts)
        if counts.ndim != 3 or counts.shape[1:] != (2 ** len(lags), 2):
            raise EchoTheoryError(
                f"counts have shape {counts.shape}; expected (batches, {2 ** len(lags)}, 2) for "
                f"{len(lags)} lags"
            )
        if counts.dtype.kind not in "iu" or (counts < 0).any():
            raise EchoTheoryError("counts must be non-negative integers")
        object.__setattr__(self, "lags", lags)
        object.__setattr__(self, "counts", counts.astype(np.int64))

    @property
    def batches(self) -> int:
        return self.counts.shape[0]

    @property
    def samples(self) -> int:
        return int(self.counts.sum())

    def marginal(self, learned: Iterable[int]) -> np.ndarray:
        """Counts over the configurations of the learned lags only: shape (batches, 2^|S|, 2)."""
        keep = self._positions(learned)
        n = len(self.lags)
        # axis 1 + (n - 1 - i) holds bit i of the mask (the last mask axis is bit 0)
        table = self.counts.reshape(self.batches, *([2] * n), 2)
        drop = tuple(1 + (n - 1 - i) for i in range(n) if i not in keep)
        return table.sum(axis=drop).reshape(self.batches, 2 ** len(keep), 2)

    def _positions(self, learned: Iterable[int]) -> list[int]:
        positions = []
        for lag in sorted(set(learned)):
            if lag not in self.lags:
                known = ", ".join(map(str, self.lags)) or "none"
                raise EchoTheoryError(f"learned lag {lag} is not among the counted lags ({known})")
            positions.append(self.lags.index(lag))
        return positions


@dataclass(frozen=True)
class EntropyEstimate:
    """H(Y | X_S) estimated from counts, in ``units``.

    ``stderr`` is None with a single batch (no spread to measure).
    """

    learned: tuple[int, ...]
    plugin: float
    miller_madow: float
    stderr: float | None
    samples: int
    units: str = "nats"

    def to_dict(self) -> dict:
        return {
            "learned": list(self.learned),
            "estimate": self.plugin,
            "miller_madow": self.miller_madow,
            "stderr": self.stderr,
        }


def entropy_estimate(counts: CountTable, learned: Iterable[int] = (), units: str = "nats") -> EntropyEstimate:
    """Plug-in and Miller-Madow H(Y | X_S), and the batch-means standard error, from counts.

    >>> import numpy as np
    >>> table = CountTable((3,), np.array([[[30, 10], [0, 40]], [[25, 15], [0, 40]]]))
    >>> e = entropy_estimate(table, [3])
    >>> round(e.plugin, 6), e.samples             # the x3 = 1, y = 0 cell is empty: 0 log 0 = 0
    (0.310543, 160)
    """
    check_units(units)
    learned = tuple(sorted(set(learned)))
    return cell_estimate(counts.marginal(learned), learned, units)


def cell_estimate(table: np.ndarray, learned: Iterable[int] = (), units: str = "nats") -> EntropyEstimate:
    """``entropy_estimate`` from counts already over the cells that S sees: ``table[b, c, y]``
    for batch b and cell c (a configuration of S, or any function of x_S that P(y=1 | x_S)
    depends on only through, such as the sum of the learned shifts of additive rules)."""
    check_units(units)
    learned = tuple(sorted(set(learned)))
    total = table.sum(axis=0)
    n = int(total.sum())
    if n == 0:
        raise EchoTheoryError("no steps were counted")
    per_config = total.sum(axis=1, keepdims=True)
    seen = total > 0
    # f = -log P(y | c) on the cells that occur; the empty ones contribute 0 (0 log 0 = 0)
    f = np.zeros(total.shape)
    f[seen] = -np.log(total[seen] / np.broadcast_to(per_config, total.shape)[seen])
    sums = (table * f).sum(axis=(1, 2))  # F_b
    plugin = float(sums.sum() / n)
    cells = int(seen.sum()) - int((per_config > 0).sum())
    miller_madow = plugin + cells / (2 * n)
    steps = table.sum(axis=(1, 2))
    stderr = batch_means_stderr(sums - plugin * steps, n)
    scale = math.log(2) if units == "bits" else 1.0
    return EntropyEstimate(
        learned,
        plugin / scale,
        miller_madow / scale,
        None if stderr is None else stderr / scale,
        n,
        units,
    )


def batch_means_stderr(deviations: np.ndarray, total: float = 1.0) -> float | None:
    """The batch-means standard error of an estimate whose error is, to first order, a sum over
    steps: ``deviations[b]`` is batch b's sum of the centred terms (F_b - H N_b for an entropy),
    ``total`` the divisor that makes the sum a mean (N). sqrt(K/(K-1) sum_b d_b^2) / total;
    None with a single batch (no spread to measure). ``diagnosis`` uses it for a model's loss and
    lag effects."""
    batches = len(deviations)
    if batches < 2:
        return None
    spread = float((np.asarray(deviations, dtype=np.float64) ** 2).sum()) * batches / (batches - 1)
    return math.sqrt(spread) / total


@dataclass(frozen=True, repr=False)
class EstimateTable(RowsByLearned):
    """Estimates for several learned subsets of the counted lags, with the counts they came from."""

    lags: tuple[int, ...]
    units: str
    samples: int
    batches: int
    rows: tuple[EntropyEstimate, ...]
    source: str = ""

    def to_dict(self) -> dict:
        data = {"lags": list(self.lags), "samples": self.samples, "batches": self.batches}
        if self.source:
            data = {"file": self.source, **data}
        return {**data, "units": self.units, "rows": [row.to_dict() for row in self.rows]}

    def to_frame(self) -> pandas.DataFrame:
        """A DataFrame: learned (tuple of lags), estimate, miller_madow, stderr."""
        import pandas

        frame = pandas.DataFrame(
            {
                "learned": [row.learned for row in self.rows],
                "estimate": [row.plugin for row in self.rows],
                "miller_madow": [row.miller_madow for row in self.rows],
                "stderr": [row.stderr for row in self.rows],
            }
        )
        frame.attrs["units"] = self.units
        frame.attrs["samples"] = self.samples
        return frame

    def describe(self, source: str | None = None) -> str:
        source = self.source if source is None else source
        where = f"{source}: " if source else ""
        return (
            f"{where}{self.samples} steps counted (each with lags {format_lags(self.lags)} in view), "
            f"in {self.batches} batches"
        )

    def _headers(self) -> list[str]:
        return ["learned", f"estimate ({self.units})", "miller-madow", "stderr"]

    def _cells(self, learned, number) -> list[list[str]]:
        return [
            [learned(r.learned), number(r.plugin), number(r.miller_madow), number(r.stderr)]
            for r in self.rows
        ]

    def to_text(self) -> str:
        rows = self._cells(format_lags, render.decimal)
        return self.describe() + "\n\n" + render.text_table(self._headers(), rows, (False, True, True, True))

    def to_markdown(self) -> str:
        rows = self._cells(render.set_markdown, render.decimal)
        table = render.markdown_table(self._headers(), rows, (False, True, True, True))
        # a file name is shown as it is, not read as Markdown
        return f"{self.describe(render.markdown_text(self.source))}\n\n" + table

    def to_csv(self) -> str:
        rows = self._cells(format_lags, render.full)
        return render.csv_table(["learned", "estimate", "miller_madow", "stderr"], rows)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def estimate_table(
    counts: CountTable,
    learned: Iterable[Iterable[int]] | None = None,
    units: str = "nats",
    source: str = "",
) -> EstimateTable:
    """One row per learned subset (default: every subset of the counted lags, by size then lag)."""
    subsets = (
        all_subsets(counts.lags) if learned is None else list(dict.fromkeys(_subset(s) for s in learned))
    )
    rows = tuple(entropy_estimate(counts, subset, units) for subset in subsets)
    return EstimateTable(counts.lags, units, counts.samples, counts.batches, rows, source)


def _subset(learned: Iterable[int] | str) -> tuple[int, ...]:
    return parse_lags(learned) if isinstance(learned, str) else tuple(sorted(set(learned)))


# --- counting a series ----------------------------------------------------------------------


def check_lags(lags: Iterable[int] | str) -> tuple[int, ...]:
    """Lags as a sorted tuple (text such as ``3,8`` is parsed), at most MAX_LAGS of them."""
    lags = parse_lags(lags) if isinstance(lags, str) else tuple(sorted(set(lags)))
    for lag in lags:
        if isinstance(lag, bool) or not isinstance(lag, (int, np.integer)) or not 0 <= lag <= MAX_LAG:
            raise ParseError(f"lag {lag!r} is not a whole number in 0..{MAX_LAG}")
    if len(lags) > MAX_LAGS:
        raise LimitError(f"{len(lags)} lags is more than {MAX_LAGS}: every subset gets a row, 2^n of them")
    return tuple(int(lag) for lag in lags)


def binary_series(x: Sequence | np.ndarray, y: Sequence | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y as uint8 arrays, checked: one-dimensional, equally long, every value 0 or 1."""
    arrays = []
    for name, values in (("x", x), ("y", y)):
        array = np.asarray(values)
        if array.ndim != 1:
            raise EchoTheoryError(f"{name} has shape {array.shape}; expected one dimension")
        if array.dtype.kind not in "biuf":
            raise EchoTheoryError(f"{name} holds {array.dtype} values; expected 0 and 1")
        bad = np.flatnonzero((array != 0) & (array != 1))
        if bad.size:
            raise EchoTheoryError(f"{name}[{bad[0]}] is {array[bad[0]].item()!r}: values must be 0 or 1")
        arrays.append(array.astype(np.uint8))
    if arrays[0].size != arrays[1].size:
        raise EchoTheoryError(f"x has {arrays[0].size} values but y has {arrays[1].size}: lengths must match")
    return arrays[0], arrays[1]


def minimum_length(max_lag: int) -> int:
    """Steps a series needs for lags up to ``max_lag``: the warm-up, then MIN_BATCHES batches."""
    return max_lag + MIN_BATCHES * BATCH_FACTOR * (max_lag + 1)


def batch_edges(length: int, top: int, batches: int | None = None, what: str = "steps") -> list[int]:
    """Borders of the contiguous batches of the steps top..length-1 (those with every lag up to
    ``top`` in view): by default as many as fit with each at least 20 (top + 1) steps long, up
    to 64; too short a series for MIN_BATCHES of them is an error."""
    counted = length - top
    if batches is None:
        if length < minimum_length(top):
            raise EchoTheoryError(
                f"the series has {length} {what}; with lags up to {top} a standard error needs at least "
                f"{minimum_length(top)} ({MIN_BATCHES} batches of {BATCH_FACTOR * (top + 1)} {what} after "
                f"{top} warm-up {what})"
            )
        batches = min(MAX_BATCHES, counted // (BATCH_FACTOR * (top + 1)))
    elif isinstance(batches, bool) or not isinstance(batches, (int, np.integer)) or batches < 1:
        raise EchoTheoryError(f"batches: {batches!r} is not a whole number >= 1")
    elif counted < batches:
        raise EchoTheoryError(f"the series has {counted} counted {what}, fewer than {batches} batches")
    return [top + (b * counted) // batches for b in range(batches + 1)]


def count_table(
    x: Sequence | np.ndarray,
    y: Sequence | np.ndarray,
    lags: Iterable[int] | str,
    batches: int | None = None,
) -> CountTable:
    """Counts of (x at each lag, y) in a series, per contiguous batch.

    Step t is counted when all its lags are in view (t >= max lag), so every subset is
    estimated from the same steps. The batches are nearly equal stretches of those steps: by
    default as many as fit with each at least 20 (max lag + 1) steps long, up to 64.

    >>> table = count_table([0, 1, 1, 0, 1, 0] * 400, [1, 0, 1, 1, 0, 1] * 400, "1")
    >>> table.batches, table.samples, table.counts.sum(axis=0).tolist()
    (59, 2399, [[800, 399], [0, 1200]])
    """
    x, y = binary_series(x, y)
    lags = check_lags(lags)
    top = max(lags, default=0)
    edges = batch_edges(x.size, top, batches)
    batches = len(edges) - 1
    n = len(lags)
    dtype = np.uint16 if n >= 8 else np.uint8
    counts = np.zeros((batches, 2**n, 2), dtype=np.int64)
    for b in range(batches):  # one batch at a time keeps the temporaries small
        start, stop = edges[b], edges[b + 1]
        index = np.zeros(stop - start, dtype=dtype)
        for i, lag in enumerate(lags):
            index |= x[start - lag : stop - lag].astype(dtype) << (i + 1)
        index |= y[start:stop]
        counts[b] = np.bincount(index, minlength=2 ** (n + 1)).reshape(-1, 2)
    return CountTable(lags, counts)


def estimate_series(
    x: Sequence | np.ndarray,
    y: Sequence | np.ndarray,
    lags: Iterable[int] | str,
    learned: Iterable[Iterable[int]] | None = None,
    units: str = "nats",
    batches: int | None = None,
) -> EstimateTable:
    """H(Y | X_S) estimates for every subset S of ``lags`` (or the ``learned`` ones) from a series."""
    return estimate_table(count_table(x, y, lags, batches), learned, units)
