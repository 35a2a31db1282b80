"""The exact side of ``score`` (levels, effects, every subset's optimal predictor, computed once
per process and window) and the verdict drawn from the counted sums."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from ..effects import RuleEffect, rule_effects
from ..errors import EchoTheoryError, LimitError, ProcessError
from ..estimate import batch_means_stderr, binary_series
from ..exact import check_window
from ..process import EchoProcess
from ..rules import format_lags
from .counting import Pass, Sums, window_positions
from .result import BestMatch, LagScore, Level, Score, Verdict, _lag_words, _number, _percent

# A lag counts as used "fully" when its fraction agrees with 1, "not at all" when it agrees with
# 0, and "in part" otherwise. Agreement is |fraction - target| <= max(SIGNIFICANCE * stderr,
# TOLERANCE): not significantly different at z = 3 (about 0.3% two-sided, so a level is rarely
# missed by chance, even over a dozen lags), or within 5% of the exact effect, so that a huge
# file does not call a model that captures 98% of an effect "partial". The loss is held against
# a level the same way, with the tolerance 5% of the available information I(Y; X_all).
SIGNIFICANCE = 3.0
TOLERANCE = 0.05
# The pass keys every row by its input code over the rule lags: 2^n bincount cells per class.
MAX_SCORE_LAGS = 16


class Scorer:
    """The exact references of one process (and window): levels, effects and every subset's
    optimal predictor as a lookup table. ``score`` builds one; ``train`` keeps one for all its
    seeds."""

    def __init__(self, process: EchoProcess, window: int | None = None) -> None:
        if process.is_symbolic:
            names = ", ".join(sorted(s.name for s in process.symbols))
            raise ProcessError(f"score needs numbers for every shift; the rules hold symbols ({names})")
        if len(process.lags) > MAX_SCORE_LAGS:
            raise LimitError(
                f"score reads predictions by their input code over every rule lag (2^n cells); "
                f"{len(process.lags)} rule lags is more than its limit of {MAX_SCORE_LAGS}"
            )
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
            sums = Pass(self, x, y, p, clean, batches).run()
        return self._read(sums, source, self._rule_effects(x, y, p))

    def _rule_effects(self, x, y, p) -> tuple[RuleEffect, ...]:
        """Each interaction rule's effect on p (see ``effects``), with its usage: for a parity
        rule the per-lag effects are 0 whether or not the model learned it; this shows it."""
        if self.process.is_additive:
            return ()
        out = []
        positions = None if self.window is None else window_positions(p, self.window)
        for effect in rule_effects(self.process, x, y, p, positions=positions):
            fraction = effect.fraction
            se = (
                None
                if effect.stderr is None or not effect.exact
                else effect.stderr / abs(float(effect.exact))
            )
            out.append(replace(effect, used="" if fraction is None else _usage(fraction, se)))
        return tuple(out)

    # --- from sums to a score -------------------------------------------------------------------

    def _read(self, sums: Sums, source: str, rules: tuple[RuleEffect, ...] = ()) -> Score:
        if sums.samples == 0:
            raise EchoTheoryError("no row has a prediction: p is NaN in every row")
        loss = sums.loss_total / sums.samples
        stderr = None
        if math.isfinite(loss):
            stderr = batch_means_stderr(sums.loss_batches - loss * sums.sample_batches, sums.samples)
        effects = []
        for i, lag in enumerate(self.lags):
            c1, s1, c0, s0 = sums.effects[:, i].T
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
        verdict = self._verdict(loss, stderr, tuple(effects), rules)
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
            rule_effects=rules,
            window=self.window,
            batches=len(sums.sample_batches),
            divergences=tuple(divergences),
            source=source,
        )

    def _divergences(self, sums: Sums) -> list[float]:
        """Mean KL(q_S || p) over the statistics' rows, for every subset S: the excess loss of the
        model's p over S's optimal predictor q_S if y followed q_S. In this direction a model that
        hedges (p inside (0, 1)) stays finite against a q of exactly 0 or 1; only a p of exactly 0
        or 1 where q is not makes it infinite, as it makes the loss. Per row it is
        q log q + (1-q) log(1-q) - q log p - (1-q) log(1-p), and q depends only on the row's class
        and code, so the sums of log p and log(1-p) per (class, code) are all it needs."""
        counts, log_p, log_q = sums.counts, sums.log_p, sums.log_q
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

    def _verdict(
        self,
        loss: float,
        stderr: float | None,
        effects: tuple[LagScore, ...],
        rules: tuple[RuleEffect, ...] = (),
    ) -> Verdict:
        h_nothing, h_all = self.levels[0].cross_entropy, self.levels[-1].cross_entropy
        margin = max(SIGNIFICANCE * (stderr or 0.0), TOLERANCE * max(h_nothing - h_all, 0.0))
        shown = _number(loss, 4) + ("" if stderr is None else f" ± {stderr:.4f}")
        # An interaction rule used fully means its lags are used (a parity's lags have no
        # per-lag effect of their own); one used in part makes them partial.
        full_set = {e.lag for e in effects if e.used == "fully"}
        full_set |= {lag for r in rules if r.used == "fully" for lag in r.rule.lags}
        partial_set = {e.lag for e in effects if e.used == "in part"}
        partial_set |= {lag for r in rules if r.used == "in part" for lag in r.rule.lags}
        full, partial = tuple(sorted(full_set)), tuple(sorted(partial_set - full_set))
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
        pieces += [f"rule {r.rule} at {_percent(r.fraction)}" for r in rules if r.used == "in part"]
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


def _xlogx(values: np.ndarray) -> np.ndarray:
    """x log x with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, values * np.log(np.where(values > 0, values, 1.0)), 0.0)
