"""Per-rule effects: what an interaction rule's condition does to a model's P(y=1).

For a rule with condition C (``3&8``: x[t-3] = x[t-8] = 1; ``3^8``: an odd number of them 1),
the measured effect is mean(p_t | C holds at t) - mean(p_t | C fails at t) over the steps that
count, where p_t is the model's P(y_t = 1). The exact value it is read against is
``process.rule_effect(rule)``, P(y=1 | C) - P(y=1 | not C): a model that predicts
P(y=1 | x) itself measures it, one that ignores C measures about 0 (less when it has learned
only what a single lag says about C, which for parity at p_x = 1/2 is nothing). For a parity
rule every per-lag average effect is 0 whether or not the model learned it, so this is the
number that shows it.

Only (x, p) enter, so a model's predictions from a file are measured the same way as the
NumPy RNN's. Its standard error comes from batch means (contiguous batches of steps), valid
for the dependent steps of one series: to first order, D - E[D] is the mean of
f_t = c_t (p_t - m_1) / pi_1 - (1 - c_t)(p_t - m_0) / pi_0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import render
from .errors import EchoTheoryError
from .estimate import batch_means_stderr
from .process import EchoProcess
from .rules import Rule

MAX_BATCHES = 64
BATCH_FACTOR = 20  # a batch spans at least 20 (max lag + 1) steps, as in ``estimate``


@dataclass(frozen=True)
class RuleEffect:
    """A rule's exact average effect on P(y=1) and a model's measured one.

    ``measured`` and ``stderr`` are None where no counted step has the condition true (or
    false); ``fraction`` is measured / exact, None when either is None or exact is 0.
    """

    rule: Rule
    exact: Fraction
    measured: float | None
    stderr: float | None
    steps: int  # the steps counted
    used: str = ""  # "fully", "in part", "no", or "" (not decidable), as for a lag (diagnosis)

    @property
    def fraction(self) -> float | None:
        if self.measured is None or self.exact == 0:
            return None
        return self.measured / float(self.exact)

    def to_dict(self) -> dict:
        return {
            "rule": str(self.rule),
            "exact": float(self.exact),
            "measured": self.measured,
            "stderr": self.stderr,
            "fraction": self.fraction,
        }


def rule_effects(
    process: EchoProcess,
    x: np.ndarray,
    y: np.ndarray,
    p: np.ndarray,
    segment: int | None = None,
    rules: Iterable[Rule] | None = None,
    positions: np.ndarray | None = None,
) -> tuple[RuleEffect, ...]:
    """The measured effect of each interaction rule of ``process`` (or of ``rules``) on the
    model's predictions ``p`` (P(y_t = 1) per step, NaN where the model made none), with its
    batch-means standard error, beside the exact value.

    Step t counts when p_t is a number and x[t - L] is in the series for every lag L of the
    rule. ``segment`` S says the model reads the series in stretches of S steps that share
    nothing (rows with a carried state, windows with a reset one): then t counts only when
    t - L lies in t's own stretch. ``positions`` gives each step's place in its stretch
    directly, for stretches that do not start every S steps (windows that restart after a NaN
    row, as ``diagnosis`` reads them). ``y`` is the target series; it is not needed for the effect
    and is checked only for its length, so that (x, y, p) line up as in a score.
    """
    x = np.asarray(x)
    p = np.asarray(p, dtype=np.float64)
    if x.ndim != 1 or p.shape != x.shape or np.shape(y) != x.shape:
        raise EchoTheoryError(
            f"x, y and p must be one series each of equal length, not shapes "
            f"{x.shape}, {np.shape(y)} and {p.shape}"
        )
    if segment is not None and (isinstance(segment, bool) or not isinstance(segment, int) or segment < 1):
        raise EchoTheoryError(f"segment: {segment!r} is not a whole number >= 1")
    chosen = [rule for rule in process.rules if rule.kind != "lag"] if rules is None else list(rules)
    if segment is not None and positions is None:
        positions = np.arange(len(x)) % segment
    if positions is not None and np.shape(positions) != x.shape:
        raise EchoTheoryError(f"positions has shape {np.shape(positions)}; expected {x.shape}")
    return tuple(_effect(process, rule, x, p, positions) for rule in chosen)


def _effect(
    process: EchoProcess, rule: Rule, x: np.ndarray, p: np.ndarray, positions: np.ndarray | None
) -> RuleEffect:
    exact = process.rule_effect(rule)
    top = max(rule.lags)
    n = len(x)
    if n <= top:
        return RuleEffect(rule, exact, None, None, 0)
    ones = np.zeros(n - top, dtype=np.int64)
    for lag in rule.lags:
        ones += x[top - lag : n - lag]
    holds = ones % 2 == 1 if rule.kind == "xor" else ones == len(rule.lags)
    counted = np.isfinite(p[top:])
    if positions is not None:  # t - L must lie in t's own stretch: position >= the rule's top lag
        counted &= positions[top:] >= top
    c, values = holds[counted], p[top:][counted]
    total, on = len(values), int(c.sum())
    if on == 0 or on == total:
        return RuleEffect(rule, exact, None, None, total)
    m1, m0 = float(values[c].mean()), float(values[~c].mean())
    pi1, pi0 = on / total, (total - on) / total
    f = np.where(c, (values - m1) / pi1, -(values - m0) / pi0)
    batches = min(MAX_BATCHES, total // (BATCH_FACTOR * (top + 1)))
    sums = np.array([chunk.sum() for chunk in np.array_split(f, max(batches, 1))])
    stderr = batch_means_stderr(sums, total)
    return RuleEffect(rule, exact, m1 - m0, stderr, total)


def rule_effects_text(effects: Sequence[RuleEffect]) -> str:
    """The interaction rules' effects: P(y=1) with the condition true minus with it false."""

    def number(value: float | None, text: str) -> str:
        return "none" if value is None else format(value, text)

    rows = [
        [
            str(e.rule),
            f"{float(e.exact):+.4f}",
            number(e.measured, "+.4f"),
            number(e.stderr, ".5f"),
            number(e.fraction, ".2f"),
            e.used or "-",
        ]
        for e in effects
    ]
    title = "effect of each interaction rule's condition on P(y=1), on average (true minus false)"
    table = render.text_table(
        ["rule", "exact", "measured", "stderr", "fraction", "used"], rows, [False] + [True] * 4 + [False]
    )
    return title + "\n" + table
