"""Reading any model against the exact theory: which dependencies its predictions use.

A model's readout is a series x, y and its predicted P(y_t = 1), p, aligned with y (NaN where
the model made no prediction, such as a warm-up). ``score`` reports, for a process:

- **loss**: the mean cross entropy -log p(y_t) over the predicted rows, with a batch-means
  standard error (``estimate.batch_means_stderr``, the estimators' own), beside every subset's
  exact level H(Y | X_S).
- **lag effects**: for each rule lag L, measured E[p | x[t-L]=1] - E[p | x[t-L]=0]. The inputs
  are independent, so this is the model's average effect of flipping x[t-L], read from the
  predictions alone; ``fraction`` = measured / exact. Its standard error is the delta method on
  batch sums: to first order the error of m1 - m0 (m_a = S_a / N_a) is the sum over steps of
  x(p - m1)/N1 - (1 - x)(p - m0)/N0, whose batch sums go into the same batch-means formula.
- **best match**: the subset S whose optimal predictor P(y=1 | x_S) is closest to p, by the mean
  KL divergence KL(p_t || P(y=1 | x_S at t)) over the rows. The divergence splits into
  sum p log p + (1-p) log(1-p), which does not depend on S, minus sum p log q_S + (1-p) log(1-q_S);
  q_S is a lookup table indexed by the integer code of the lagged inputs, so the second sum needs
  only the sum of p and the count of rows per code: one weighted bincount serves every subset.
- **information fraction**: (H(Y) - loss) / I(Y; X_all), the share of the available
  information the model captures.
- **verdict**, decided by tests, not by the nearest number (SIGNIFICANCE and TOLERANCE below).

Rows used: the loss counts every predicted row. The lag effects and the best match count the
predicted rows with every rule lag in view (t >= the largest lag); with ``window`` they count
every predicted row (see below). The batches are the estimators' (``estimate.batch_edges``):
up to 64 contiguous stretches of at least 20 (max lag + 1) rows. The standard errors assume
that what the predictions depend on fades within a batch, true of the process (its y depends
on the last max-lag inputs) and of any model that forgets (an RNN's state does).

**Windows** (``window=T``): a model run with its state reset every T steps sees at position k of
a window only the last k inputs, so it can use lag L only at k >= L. With ``window`` the levels
are the window optima (1/T) sum_k H(Y | X_{S, lags <= k}), each lag's effect is measured at the
positions that can see it (a lag >= T has none: ``measured`` is None), and the best-match
predictor at position k is P(y=1 | x_{S, lags <= k}). Windows start at the first row, every T
rows, and again at the first predicted row after a NaN one (a gap in the predictions, such as
``train``'s steps dropped at the end of each batch row, restarts the window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import render
from .errors import EchoTheoryError, ProcessError
from .estimate import batch_edges, batch_means_stderr, binary_series
from .exact import check_window
from .process import EchoProcess
from .rules import format_lags

if TYPE_CHECKING:
    import pandas

# A lag counts as used "fully" when its fraction agrees with 1, "not at all" when it agrees with
# 0, and "in part" otherwise. Agreement is |fraction - target| <= max(SIGNIFICANCE * stderr,
# TOLERANCE): not significantly different at z = 3 (about 0.3% two-sided, so a level is rarely
# missed by chance, even over a dozen lags), or within 5% of the exact effect, so that a huge
# file does not call a model that captures 98% of an effect "partial". The loss is held against
# a level the same way, with the tolerance 5% of the available information I(Y; X_all).
SIGNIFICANCE = 3.0
TOLERANCE = 0.05

VERDICTS = ("level", "between", "worse_than_nothing", "better_than_possible")


@dataclass(frozen=True)
class Level:
    """A learned subset's exact level: H(Y | X_S), or the window optimum with ``window``."""

    learned: tuple[int, ...]
    cross_entropy: float


@dataclass(frozen=True)
class LagScore:
    """A rule lag's exact average effect on P(y=1) and the model's measured one."""

    lag: int
    exact: float
    measured: float | None  # None: no predicted row can see this lag
    stderr: float | None
    fraction: float | None  # measured / exact; None without a measurement or with a zero effect
    used: str = ""  # "fully", "in part", "no", or "" (not decidable)

    def to_dict(self) -> dict:
        keys = ("lag", "exact", "measured", "stderr", "fraction")
        return {key: getattr(self, key) for key in keys}


@dataclass(frozen=True)
class BestMatch:
    learned: tuple[int, ...]
    divergence: float

    def to_dict(self) -> dict:
        return {"learned": list(self.learned), "divergence": self.divergence}


@dataclass(frozen=True)
class Verdict:
    kind: str  # one of VERDICTS
    learned: tuple[int, ...]  # the lags used fully
    partial: tuple[int, ...]  # the lags used in part
    text: str

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "learned": list(self.learned),
            "partial": list(self.partial),
            "text": self.text,
        }


@dataclass(frozen=True)
class Score:
    """What a model's predictions use, read against the process's exact theory."""

    process: EchoProcess
    samples: int  # predicted rows in the loss
    loss: float  # inf when a prediction of exactly 0 or 1 was wrong
    stderr: float | None
    levels: tuple[Level, ...]
    lag_effects: tuple[LagScore, ...]
    best_match: BestMatch
    information_fraction: float
    verdict: Verdict
    window: int | None = None
    batches: int = 0
    divergences: tuple[float, ...] = field(default=(), repr=False)  # per level, same order
    source: str = ""

    def level(self, learned) -> float:
        wanted = tuple(sorted(learned))
        return next(level.cross_entropy for level in self.levels if level.learned == wanted)

    def to_dict(self) -> dict:
        """The JSON shape of ``echo-theory score --format json``."""
        data = {
            "process": self.process.to_dict(),
            "samples": self.samples,
            "loss": self.loss,
            "stderr": self.stderr,
            "levels": [
                {"learned": list(lv.learned), "cross_entropy": lv.cross_entropy} for lv in self.levels
            ],
            "lag_effects": [effect.to_dict() for effect in self.lag_effects],
            "best_match": self.best_match.to_dict(),
            "information_fraction": self.information_fraction,
            "verdict": self.verdict.to_dict(),
        }
        if self.window is not None:
            data["window"] = self.window
        return data

    def to_frame(self) -> pandas.DataFrame:
        """One row per subset: learned, cross_entropy (its level), divergence (mean KL of p from
        the subset's optimal predictor)."""
        import pandas

        frame = pandas.DataFrame(
            {
                "learned": [lv.learned for lv in self.levels],
                "cross_entropy": [lv.cross_entropy for lv in self.levels],
                "divergence": list(self.divergences),
            }
        )
        frame.attrs.update(loss=self.loss, stderr=self.stderr, verdict=self.verdict.kind)
        return frame

    def lag_frame(self) -> pandas.DataFrame:
        """One row per rule lag: lag, exact, measured, stderr, fraction, used."""
        import pandas

        keys = ("lag", "exact", "measured", "stderr", "fraction", "used")
        return pandas.DataFrame({key: [getattr(e, key) for e in self.lag_effects] for key in keys})

    # --- text -------------------------------------------------------------------------------

    def describe(self) -> str:
        where = f"{self.source}: " if self.source else ""
        window = f"; windows of {self.window} steps (levels are window optima)" if self.window else ""
        return f"{where}{self.samples:,} predicted rows in {self.batches} batches{window}"

    def _summary_rows(self, number) -> list[list[str]]:
        lv = self.levels
        return [
            ["loss", "", _number(self.loss, number), _stderr(self.stderr, number), ""],
            [
                "best match",
                format_lags(self.best_match.learned),
                _number(self.best_match.divergence, number),
                "",
                "mean KL divergence from its optimal predictor",
            ],
            ["information", "", _percent(self.information_fraction), "", "of I(Y; X_all) captured"],
            ["nothing", "none", _number(lv[0].cross_entropy, number), "", "H(Y): the base rate"],
            [
                "every lag",
                format_lags(lv[-1].learned),
                _number(lv[-1].cross_entropy, number),
                "",
                "no model that sees only the inputs goes below",
            ],
        ]

    def _level_rows(self, learned, number) -> list[list[str]]:
        return [
            [learned(lv.learned), _number(lv.cross_entropy, number), _number(d, number)]
            for lv, d in zip(self.levels, self.divergences, strict=True)
        ]

    def _lag_rows(self, number: int) -> list[list[str]]:
        def signed(value):
            return "none" if value is None else f"{value:+.{number}f}"

        return [
            [
                str(e.lag),
                signed(e.exact),
                signed(e.measured),
                _number(e.stderr, number),
                _percent(e.fraction),
                e.used or "-",
            ]
            for e in self.lag_effects
        ]

    _HEADERS = (["", "learned", "nats", "stderr", "note"], [False, False, True, True, False])
    _LEVELS = (["learned", "level (nats)", "divergence"], [False, True, True])
    _LAGS = (
        ["lag", "exact", "measured", "stderr", "fraction", "used"],
        [True, True, True, True, True, False],
    )

    def to_text(self) -> str:
        parts = [
            self.process.describe(),
            self.describe(),
            "",
            f"verdict: {self.verdict.kind}. {self.verdict.text}",
            "",
            render.text_table(*self._HEADERS[:1], self._summary_rows(4), self._HEADERS[1]),
            render.text_table(self._LEVELS[0], self._level_rows(format_lags, 4), self._LEVELS[1]),
            "effect of x[t-lag] = 1 on P(y=1), on average",
            render.text_table(self._LAGS[0], self._lag_rows(4), self._LAGS[1]),
        ]
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def to_markdown(self) -> str:
        parts = [
            f"`{self.process.describe()}`",
            "",
            self.describe(),
            "",
            f"**verdict: {self.verdict.kind}.** {self.verdict.text}",
            "",
            render.markdown_table(self._HEADERS[0], self._summary_rows(4), self._HEADERS[1]),
            render.markdown_table(self._LEVELS[0], self._level_rows(render.set_markdown, 4), self._LEVELS[1]),
            render.markdown_table(self._LAGS[0], self._lag_rows(4), self._LAGS[1]),
        ]
        return "\n".join(parts)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def to_csv(self) -> str:
        """Long form, one quantity per row: quantity, learned (lags), value, stderr."""
        full = render.full
        rows = [
            ["loss", "", full(self.loss), full(self.stderr)],
            ["information_fraction", "", full(self.information_fraction), ""],
            ["best_match", format_lags(self.best_match.learned), full(self.best_match.divergence), ""],
            ["verdict", format_lags(self.verdict.learned), self.verdict.kind, ""],
            ["partial", format_lags(self.verdict.partial), "", ""],
        ]
        for lv, d in zip(self.levels, self.divergences, strict=True):
            rows.append(["level", format_lags(lv.learned), full(lv.cross_entropy), ""])
            rows.append(["divergence", format_lags(lv.learned), full(d), ""])
        for e in self.lag_effects:
            rows.append(["exact_effect", str(e.lag), full(e.exact), ""])
            rows.append(["measured_effect", str(e.lag), full(e.measured), full(e.stderr)])
            rows.append(["fraction", str(e.lag), full(e.fraction), ""])
        return render.csv_table(["quantity", "learned", "value", "stderr"], rows)


def _number(value: float | None, digits: int) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return render.fixed(value, digits) if abs(value) < 1e6 else f"{value:.4g}"


def _stderr(value: float | None, digits: int) -> str:
    """A standard error; one too small for the decimals shown, in scientific notation."""
    if value is not None and 0 < value < 0.5 * 10**-digits:
        return f"{value:.1e}"
    return _number(value, digits)


def _percent(value: float | None) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    return f"{100 * value:.1f}%"


# --- the exact side, computed once per process and window ----------------------------------------


class Scorer:
    """The exact references of one process (and window): levels, effects and every subset's
    optimal predictor as a lookup table. ``score`` builds one; ``train`` keeps one for all its
    seeds."""

    def __init__(self, process: EchoProcess, window: int | None = None) -> None:
        if process.is_symbolic:
            names = ", ".join(sorted(s.name for s in process.symbols))
            raise ProcessError(f"score needs numbers for every shift; the rules hold symbols ({names})")
        self.process = process
        self.window = None if window is None else check_window(window)
        self.lags = process.lags
        table = process.subset_table(window=self.window)
        self.subsets = [row.learned for row in table.rows]
        self.levels = tuple(
            Level(row.learned, (row.window_cross_entropy if self.window else row.cross_entropy).value)
            for row in table.rows
        )
        self.exact_effects = [float(process.lag_effect(lag)) for lag in self.lags]
        n = len(self.lags)
        codes = np.arange(2**n)
        self._tables: dict[tuple[int, ...], np.ndarray] = {}
        for subset in self.subsets:
            cells = process.marginal(subset)
            compact = np.zeros(2 ** len(subset))
            for cell in cells:
                compact[sum(bit << j for j, bit in enumerate(cell.bits))] = float(cell.probability)
            index = np.zeros(2**n, dtype=np.int64)
            for j, lag in enumerate(subset):
                index |= ((codes >> self.lags.index(lag)) & 1) << j
            self._tables[subset] = compact[index]  # P(y=1 | x_S), indexed by the full code

    def predictor(self, learned, visible: int | None = None) -> np.ndarray:
        """P(y=1 | x_S) for every full input code; with ``visible`` = v, for S within the first
        v rule lags (a window position that sees those only)."""
        learned = tuple(sorted(learned))
        if visible is not None:
            learned = tuple(lag for lag in learned if lag in self.lags[:visible])
        return self._tables[learned]

    def score(self, x, y, p, source: str = "", batches: int | None = None) -> Score:
        x, y = _binary(x, y)
        p, clean = _probabilities(p, x.size)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            sums = _Pass(self, x, y, p, clean, batches).run()
        return self._read(sums, source)

    # --- from sums to a score -------------------------------------------------------------------

    def _read(self, sums: _Sums, source: str) -> Score:
        n = len(self.lags)
        if sums.samples == 0:
            raise EchoTheoryError("no row has a prediction: p is NaN in every row")
        loss = sums.loss_total / sums.samples
        stderr = None
        if math.isfinite(loss):
            stderr = batch_means_stderr(sums.loss_batches - loss * sums.sample_batches, sums.samples)
        codes = np.arange(2**n)
        counts, psums = sums.by_code(sums.counts), sums.by_code(sums.p)  # (K, classes, codes)
        classes = counts.shape[1]
        effects = []
        for i, lag in enumerate(self.lags):
            seen = np.arange(classes) > i  # classes (visible lag counts) that see lag i
            ones = (codes >> i) & 1 == 1
            parts = []
            for mask in (ones, ~ones):
                count = counts[:, seen][:, :, mask].sum(axis=(1, 2))
                total = psums[:, seen][:, :, mask].sum(axis=(1, 2))
                parts.append((count, total))
            (c1, s1), (c0, s0) = parts
            n1, n0 = c1.sum(), c0.sum()
            exact = self.exact_effects[i]
            if n1 == 0 or n0 == 0:
                effects.append(LagScore(lag, exact, None, None, None))
                continue
            m1, m0 = s1.sum() / n1, s0.sum() / n0
            measured = float(m1 - m0)
            effect_se = batch_means_stderr((s1 - m1 * c1) / n1 - (s0 - m0 * c0) / n0)
            fraction = measured / exact if exact else None
            fraction_se = None if effect_se is None or not exact else effect_se / abs(exact)
            used = "" if fraction is None else _usage(fraction, fraction_se)
            effects.append(LagScore(lag, exact, measured, effect_se, fraction, used))
        divergences = self._divergences(sums)
        best = min(range(len(self.subsets)), key=lambda k: divergences[k])  # first of ties: smallest S
        h_nothing, h_all = self.levels[0].cross_entropy, self.levels[-1].cross_entropy
        available = h_nothing - h_all
        information = (h_nothing - loss) / available if available > 0 else math.nan
        verdict = self._verdict(loss, stderr, tuple(effects))
        return Score(
            process=self.process,
            samples=sums.samples,
            loss=loss,
            stderr=stderr,
            levels=self.levels,
            lag_effects=tuple(effects),
            best_match=BestMatch(self.subsets[best], divergences[best]),
            information_fraction=information,
            verdict=verdict,
            window=self.window,
            batches=len(sums.sample_batches),
            divergences=tuple(divergences),
            source=source,
        )

    def _divergences(self, sums: _Sums) -> list[float]:
        """Mean KL(q_S || p) over the statistics' rows, for every subset S: the excess loss of the
        model's p over S's optimal predictor q_S if y followed q_S. In this direction a model that
        hedges (p inside (0, 1)) stays finite against a q of exactly 0 or 1; only a p of exactly 0
        or 1 where q is not makes it infinite, as it makes the loss. Per row it is
        q log q + (1-q) log(1-q) - q log p - (1-q) log(1-p), and q depends only on the row's class
        and code, so the sums of log p and log(1-p) per (class, code) are all it needs."""
        counts, log_p, log_q = (sums.by_code(a).sum(axis=0) for a in (sums.counts, sums.log_p, sums.log_q))
        rows = counts.sum()
        if rows == 0:
            return [math.nan] * len(self.subsets)
        out = []
        for subset in self.subsets:
            total = 0.0
            for v in range(counts.shape[0]):
                if not counts[v].any():
                    continue
                q = self.predictor(subset, v)
                with np.errstate(divide="ignore", invalid="ignore"):
                    negentropy = counts[v] * (_xlogx(q) + _xlogx(1 - q))
                    cross = np.where(q > 0, q * log_p[v], 0.0) + np.where(q < 1, (1 - q) * log_q[v], 0.0)
                total += float((negentropy - cross)[counts[v] > 0].sum())
            out.append(max(0.0, float(total / rows)))  # KL >= 0; rounding can dip below
        return out

    def _verdict(self, loss: float, stderr: float | None, effects: tuple[LagScore, ...]) -> Verdict:
        h_nothing, h_all = self.levels[0].cross_entropy, self.levels[-1].cross_entropy
        margin = max(SIGNIFICANCE * (stderr or 0.0), TOLERANCE * max(h_nothing - h_all, 0.0))
        shown = _number(loss, 4) + ("" if stderr is None else f" ± {stderr:.4f}")
        full = tuple(e.lag for e in effects if e.used == "fully")
        partial = tuple(e.lag for e in effects if e.used == "in part")
        if not loss <= h_nothing + margin:  # also catches inf
            return Verdict(
                "worse_than_nothing",
                full,
                partial,
                f"Its loss {shown} is above H(Y) = {h_nothing:.4f}, the loss of predicting the base rate.",
            )
        if loss < h_all - margin:
            return Verdict(
                "better_than_possible",
                full,
                partial,
                f"Its loss {shown} is below H(Y | every rule lag) = {h_all:.4f}, which no model that sees "
                "only the inputs can reach: the predictions see something they should not (the label, or an "
                "input off by one).",
            )
        level = self._level(full)
        name = "the window optimum" if self.window else "H(Y | X_S)"
        if not partial and abs(loss - level) <= margin:
            used = f"{_lag_words(full)} fully and no other" if full else "no lag"
            return Verdict(
                "level",
                full,
                partial,
                f"It uses {used}; its loss {shown} agrees with {name} for S = {format_lags(full)}, "
                f"{level:.4f}.",
            )
        pieces = [f"lag {e.lag} at {_percent(e.fraction)}" for e in effects if e.used == "in part"]
        fully = f"{_lag_words(full)} fully" if full else "no lag fully"
        partly = f", {' and '.join(pieces)} of its exact effect" if pieces else ""
        upper = self._level(sorted(full + partial))
        where = (
            f"lies between {name} for S = {format_lags(full)} ({level:.4f}) and for S = "
            f"{format_lags(tuple(sorted(full + partial)))} ({upper:.4f})"
            if partial
            else f"is off {name} for S = {format_lags(full)} ({level:.4f}) by more than {margin:.4f}"
        )
        return Verdict("between", full, partial, f"It uses {fully}{partly}; its loss {shown} {where}.")

    def _level(self, learned) -> float:
        wanted = tuple(sorted(learned))
        return next(lv.cross_entropy for lv in self.levels if lv.learned == wanted)


def _usage(fraction: float, stderr: float | None) -> str:
    margin = max(SIGNIFICANCE * (stderr or 0.0), TOLERANCE)
    if abs(fraction - 1) <= margin:
        return "fully"
    if abs(fraction) <= margin:
        return "no"
    return "in part"


def _binary(x, y) -> tuple[np.ndarray, np.ndarray]:
    """x and y checked as ``estimate.binary_series`` checks them; uint8 arrays (what the file
    readers return) take one max() each instead of its comparisons."""
    if (
        all(
            isinstance(a, np.ndarray)
            and a.dtype == np.uint8
            and a.ndim == 1
            and (a.size == 0 or a.max() <= 1)
            for a in (x, y)
        )
        and x.size == y.size
    ):
        return x, y
    return binary_series(x, y)


def _probabilities(p, length: int) -> tuple[np.ndarray, bool]:
    """p as float64, checked; and whether every value lies strictly inside (0, 1) (no NaN)."""
    array = np.asarray(p)
    if array.ndim != 1:
        raise EchoTheoryError(f"p has shape {array.shape}; expected one dimension")
    if array.dtype.kind not in "biuf":
        raise EchoTheoryError(f"p holds {array.dtype} values; expected probabilities")
    array = np.asarray(array, dtype=np.float64)
    if array.size != length:
        raise EchoTheoryError(f"x and y have {length} values but p has {array.size}: lengths must match")
    if array.size and 0 < array.min() and array.max() < 1:  # min and max are NaN if any p is
        return array, True
    bad = np.flatnonzero(~((array >= 0) & (array <= 1)) & ~np.isnan(array))
    if bad.size:
        raise EchoTheoryError(
            f"p[{bad[0]}] is {float(array[bad[0]])!r}: predictions must be probabilities in [0, 1] "
            "(NaN for a row the model skips)"
        )
    return array, False


# --- the pass over the rows ---------------------------------------------------------------------


@dataclass
class _Sums:
    """Per batch, visibility class, y and input code: rows, and sums of p, log p and log(1-p)."""

    counts: np.ndarray  # (K, classes, 2, codes)
    p: np.ndarray
    log_p: np.ndarray
    log_q: np.ndarray
    stats: int  # the classes 0..stats-1 are the statistics' rows; the last one holds the rest

    @property
    def loss_batches(self) -> np.ndarray:
        """Per batch: the sum of -log p(y) over its predicted rows."""
        return -(self.log_p[:, :, 1].sum(axis=(1, 2)) + self.log_q[:, :, 0].sum(axis=(1, 2)))

    @property
    def sample_batches(self) -> np.ndarray:
        return self.counts.sum(axis=(1, 2, 3))

    @property
    def samples(self) -> int:
        return int(self.counts.sum())

    @property
    def loss_total(self) -> float:
        return float(self.loss_batches.sum())

    def by_code(self, array: np.ndarray) -> np.ndarray:
        """Summed over y, for the statistics' classes only: (K, stats, codes)."""
        return array[:, : self.stats].sum(axis=2)


class _Pass:
    """One pass over the batches, one weighted bincount per sum. A row's key is its visibility
    class, its y and its input code (bit i: x[t - lags[i]]). Class v means that the first v rule
    lags are in view: v = n for every row with all lags in view when there is no window, and
    v = the number of lags <= the row's window position with one; class n + 1 holds the rows
    that count only in the loss (t < the largest lag, without a window)."""

    def __init__(self, scorer: Scorer, x, y, p, clean: bool, batches: int | None = None) -> None:
        self.scorer, self.x, self.y, self.p, self.clean, self.batches = scorer, x, y, p, clean, batches
        self.lags = scorer.lags
        self.top = max(self.lags, default=0)
        self.window = scorer.window

    def run(self) -> _Sums:
        lags, top, n, length = self.lags, self.top, len(self.lags), self.x.size
        edges = batch_edges(length, top, self.batches, what="rows")
        edges[0] = 0  # the loss counts the first rows too (without a window, in class n + 1)
        batches, size, classes = len(edges) - 1, 2**n, n + 2
        cells = classes * 2 * size
        positions = self._classes() if self.window else None
        sums = np.zeros((4, batches, cells))
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
            sums[0, b] = np.bincount(key, minlength=cells)
            sums[1, b] = np.bincount(key, weights=p, minlength=cells)
            sums[2, b] = np.bincount(key, weights=log_p, minlength=cells)
            sums[3, b] = np.bincount(key, weights=log_q, minlength=cells)
        shaped = sums.reshape(4, batches, classes, 2, size)
        return _Sums(shaped[0].astype(np.int64), shaped[1], shaped[2], shaped[3], n + 1)

    def _classes(self) -> np.ndarray:
        """Each row's visibility class under the window protocol: how many rule lags are <= its
        position k in its window (windows start at row 0, every T rows, and after a NaN row)."""
        valid = ~np.isnan(self.p)
        index = np.arange(valid.size)
        starts = valid.copy()
        starts[1:] &= ~valid[:-1]
        start = np.maximum.accumulate(np.where(starts, index, 0))
        position = (index - start) % self.window
        return np.searchsorted(np.asarray(self.lags), position, side="right")


def score(
    process: EchoProcess,
    x,
    y,
    p,
    window: int | None = None,
    source: str = "",
    batches: int | None = None,
) -> Score:
    """Read a model's predictions ``p`` (its P(y_t = 1) per step, NaN to skip a step) on the series
    ``x``, ``y`` against the process: loss, lag effects, best match, verdict (see the module).

    ``window=T``: the model's state was reset every T steps; levels become window optima and
    the effects and best match are position-aware. ``batches``: the number of contiguous
    batches of the standard errors (default: as ``estimate`` chooses, up to 64).
    """
    return Scorer(process, window).score(x, y, p, source, batches)


def _xlogx(values: np.ndarray) -> np.ndarray:
    """x log x with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, values * np.log(np.where(values > 0, values, 1.0)), 0.0)


def _lag_words(lags) -> str:
    return ("lag " if len(lags) == 1 else "lags ") + format_lags(lags)
