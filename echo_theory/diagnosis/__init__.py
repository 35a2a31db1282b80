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

from ..process import EchoProcess
from .result import VERDICTS, BestMatch, LagScore, Level, Score, Verdict
from .scorer import SIGNIFICANCE, TOLERANCE, Scorer

__all__ = [
    "SIGNIFICANCE",
    "TOLERANCE",
    "VERDICTS",
    "BestMatch",
    "LagScore",
    "Level",
    "Score",
    "Scorer",
    "Verdict",
    "score",
]


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
