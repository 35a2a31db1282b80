"""``diagnosis.score``: each verdict from predictions built in the test, against references
computed here by direct enumeration of the rule table (never the engine's marginal)."""

import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from echo_theory import EchoProcess
from echo_theory.diagnosis import SIGNIFICANCE, TOLERANCE, Scorer, score
from echo_theory.errors import EchoTheoryError
from echo_theory.sampler import sample_series

BASE, P_X = Fraction(2, 5), Fraction(1, 2)
SHIFTS = {2: Fraction(3, 10), 5: Fraction(-1, 5)}  # P(y=1 | x) in {0.4, 0.7, 0.2, 0.5}: inside (0, 1)
PROCESS = EchoProcess(["2:+0.3", "5:-0.2"], base="0.4")
LAGS = (2, 5)
N = 60_000


def table(learned) -> dict[tuple[int, ...], Fraction]:
    """P(y=1 | x_S) by enumeration: the rule table averaged over the unlearned lags."""
    out = {}
    for seen in itertools.product((0, 1), repeat=len(learned)):
        values = dict(zip(learned, seen, strict=True))
        total = Fraction(0)
        hidden = [lag for lag in LAGS if lag not in values]
        for bits in itertools.product((0, 1), repeat=len(hidden)):
            weight = math.prod((P_X if b else 1 - P_X) for b in bits)
            full = {**values, **dict(zip(hidden, bits, strict=True))}
            total += weight * (BASE + sum(SHIFTS[lag] for lag in LAGS if full[lag]))
        out[seen] = total
    return out


def entropy(learned) -> float:
    """H(Y | X_S) by enumeration."""
    h = 0.0
    for seen, q in table(learned).items():
        weight = float(math.prod((P_X if b else 1 - P_X) for b in seen))
        q = float(q)
        h -= weight * (q * math.log(q) + (1 - q) * math.log(1 - q))
    return h


def optimal(x: np.ndarray, learned, positions: np.ndarray | None = None) -> np.ndarray:
    """The optimal predictor of S at every step, looked up in ``table`` (NaN before every lag
    is in view); with ``positions``, step t sees only the lags <= its window position."""
    p = np.full(x.size, np.nan)
    steps = np.arange(max(LAGS) if positions is None else 0, x.size)
    for k in range(max(LAGS) + 1):
        visible = tuple(lag for lag in learned if positions is None or lag <= k)
        rows = steps if positions is None else steps[np.minimum(positions[steps], max(LAGS)) == k]
        values = table(visible)
        lookup = np.array([float(values[bits]) for bits in itertools.product((0, 1), repeat=len(visible))])
        index = np.zeros(rows.size, dtype=np.int64)
        for lag in visible:  # the first lag is the most significant bit, as itertools.product counts
            index = 2 * index + x[rows - lag]
        p[rows] = lookup[index]
        if positions is None:
            break
    return p


@pytest.fixture(scope="module")
def series():
    return sample_series(PROCESS, N, 7)


@pytest.fixture(scope="module")
def models(series):
    x, _ = series
    return {learned: optimal(x, learned) for learned in [(), (2,), (5,), (2, 5)]}


@pytest.mark.parametrize("learned", [(), (2,), (5,), (2, 5)])
def test_a_model_that_uses_s_exactly_is_level_s(series, models, learned):
    x, y = series
    result = score(PROCESS, x, y, models[learned])
    assert result.verdict.kind == "level"
    assert result.verdict.learned == learned and result.verdict.partial == ()
    assert result.best_match.learned == learned
    assert result.best_match.divergence == pytest.approx(0, abs=1e-12)
    for effect in result.lag_effects:
        assert effect.used == ("fully" if effect.lag in learned else "no")
    assert abs(result.loss - entropy(learned)) < 3 * result.stderr + 0.002


def test_levels_and_effects_are_the_exact_ones(series, models):
    x, y = series
    result = score(PROCESS, x, y, models[(2,)])
    assert [level.learned for level in result.levels] == [(), (2,), (5,), (2, 5)]
    for level in result.levels:
        assert level.cross_entropy == pytest.approx(entropy(level.learned), rel=1e-12)
    assert [(e.lag, e.exact) for e in result.lag_effects] == [(2, 0.3), (5, pytest.approx(-0.2))]
    h_nothing, h_all = entropy(()), entropy((2, 5))
    assert result.information_fraction == pytest.approx((h_nothing - result.loss) / (h_nothing - h_all))


def test_a_lag_used_halfway_is_between_with_that_lag_partial(series, models):
    x, y = series
    halfway = models[()] + 0.5 * (models[(2,)] - models[()])
    result = score(PROCESS, x, y, halfway)
    assert result.verdict.kind == "between"
    assert result.verdict.partial == (2,) and result.verdict.learned == ()
    effect = {e.lag: e for e in result.lag_effects}
    assert effect[2].fraction == pytest.approx(0.5)  # p is a function of x[t-2]: no sampling noise
    assert effect[5].used == "no"
    assert "lag 2 at 5" in result.verdict.text  # "lag 2 at 50.x%"


def test_a_model_worse_than_the_base_rate(series, models):
    x, y = series
    backwards = 1 - models[(2, 5)]  # confidently wrong
    result = score(PROCESS, x, y, backwards)
    assert result.verdict.kind == "worse_than_nothing"
    assert result.loss > entropy(()) + 0.1
    assert result.information_fraction < 0


def test_an_infinite_loss_is_reported_not_raised(series, models):
    x, y = series
    p = models[(2,)].copy()
    wrong = np.flatnonzero(y == 1)[100]
    p[wrong] = 0.0  # certain that y = 0, where y = 1
    result = score(PROCESS, x, y, p)
    assert result.loss == math.inf and result.stderr is None
    assert result.verdict.kind == "worse_than_nothing"
    assert "inf" in str(result)
    json.dumps(result.to_dict())  # Infinity, as Python's json writes and reads it


@pytest.mark.parametrize("leak", ["label", "next input"])
def test_a_leaking_model_is_better_than_possible(series, models, leak):
    x, y = series
    if leak == "label":  # the predictions were made with y_t in view
        p = 0.8 * models[(2, 5)] + 0.2 * y
    else:  # a pipeline that fed the target as an input, one step off: it sees y_t as "x[t+1]"
        p = np.where(y == 1, 0.9, 0.1)
        p[: max(LAGS)] = np.nan
    result = score(PROCESS, x, y, p)
    assert result.verdict.kind == "better_than_possible"
    assert result.loss < entropy((2, 5)) - 0.05
    assert "no model that sees only the inputs" in result.verdict.text


def test_best_match_is_the_mean_kl_computed_row_by_row(series, models):
    """The per-code sums give the same divergences as a direct per-row KL(q_S || p)."""
    x, y = series
    rng = np.random.default_rng(3)
    p = np.clip(models[(2,)] + rng.normal(0, 0.05, x.size), 0.01, 0.99)
    result = score(PROCESS, x, y, p)
    rows = slice(max(LAGS), None)
    for level, divergence in zip(result.levels, result.divergences, strict=True):
        q = models[level.learned][rows]
        pp = p[rows]
        kl = q * np.log(q / pp) + (1 - q) * np.log((1 - q) / (1 - pp))
        assert divergence == pytest.approx(kl.mean(), rel=1e-9)
    assert result.best_match.learned == (2,)


def test_nan_rows_are_skipped(series, models):
    x, y = series
    p = models[(2,)].copy()
    p[1000:1500] = np.nan
    result = score(PROCESS, x, y, p)
    kept = ~np.isnan(p)
    assert result.samples == kept.sum()
    direct = -np.log(np.where(y[kept] == 1, p[kept], 1 - p[kept])).mean()
    assert result.loss == pytest.approx(direct, rel=1e-12)


def test_standard_errors_match_the_spread_over_independent_series():
    """The batch-means standard errors (loss, lag effects) against the spread of 24 replications."""
    losses, effects, loss_errors, effect_errors = [], [], [], []
    scorer = Scorer(PROCESS)
    for seed in range(24):
        x, y = sample_series(PROCESS, 20_000, 100 + seed)
        p = 0.4 + 0.3 * np.roll(x, 2) - 0.2 * np.roll(x, 5)  # the optimal predictor of (2, 5)
        p[: max(LAGS)] = np.nan
        result = scorer.score(x, y, p)
        losses.append(result.loss)
        loss_errors.append(result.stderr)
        effects.append(result.lag_effects[0].measured)
        effect_errors.append(result.lag_effects[0].stderr)
    for values, errors in ((losses, loss_errors), (effects, effect_errors)):
        spread = np.std(values, ddof=1)
        assert 0.6 < np.mean(errors) / spread < 1.6


def test_window_levels_and_position_aware_effects():
    """A model whose state resets every T steps: at window position k it uses the lags <= k."""
    window = 4
    x, y = sample_series(PROCESS, N, 11)
    positions = np.arange(x.size) % window
    p = optimal(x, (2, 5), positions)
    result = score(PROCESS, x, y, p, window=window)
    expected = {
        learned: sum(entropy(tuple(lag for lag in learned if lag <= k)) for k in range(window)) / window
        for learned in [(), (2,), (5,), (2, 5)]
    }
    for level in result.levels:
        assert level.cross_entropy == pytest.approx(expected[level.learned], rel=1e-12)
    effect = {e.lag: e for e in result.lag_effects}
    assert effect[2].used == "fully"
    assert effect[5].measured is None and effect[5].fraction is None  # no position sees 5 back
    assert result.verdict.kind == "level" and result.verdict.learned == (2,)
    assert result.best_match.learned in [(2,), (2, 5)]  # the same predictor within a 4-step window
    assert result.best_match.divergence == pytest.approx(0, abs=1e-12)
    assert result.to_dict()["window"] == window


def test_an_external_logistic_regression_is_level_on_its_lags():
    """Fit a logistic regression outside echo-theory (plain NumPy, Newton's method) on a few
    lagged inputs of a sampled series; scored on a fresh one it is `level` on those lags."""
    train_x, train_y = sample_series(PROCESS, 40_000, 21)
    test_x, test_y = sample_series(PROCESS, 40_000, 22)

    def features(x, lags):
        top = max(LAGS)
        columns = [np.ones(x.size - top)] + [x[top - lag : x.size - lag].astype(float) for lag in lags]
        if len(lags) == 2:  # the product makes the model saturated: one weight per configuration
            columns.append(columns[1] * columns[2])
        return np.stack(columns, axis=1)

    for lags in [(2,), (2, 5)]:
        a, target = features(train_x, lags), train_y[max(LAGS) :].astype(float)
        w = np.zeros(a.shape[1])
        for _ in range(25):
            q = 1 / (1 + np.exp(-a @ w))
            w -= np.linalg.solve(a.T @ (a * (q * (1 - q))[:, None]), a.T @ (q - target))
        p = np.full(test_x.size, np.nan)
        p[max(LAGS) :] = 1 / (1 + np.exp(-features(test_x, lags) @ w))
        result = score(PROCESS, test_x, test_y, p)
        assert result.verdict.kind == "level", result.verdict.text
        assert result.verdict.learned == lags
        assert result.best_match.learned == lags


def test_thresholds_are_documented_constants():
    assert (SIGNIFICANCE, TOLERANCE) == (3.0, 0.05)


def test_result_formats(series, models):
    x, y = series
    result = score(PROCESS, x, y, models[(2,)], source="run.npz")
    data = result.to_dict()
    assert list(data) == [
        "process",
        "samples",
        "loss",
        "stderr",
        "levels",
        "lag_effects",
        "rule_effects",
        "best_match",
        "information_fraction",
        "verdict",
    ]
    assert data["levels"][1] == {"learned": [2], "cross_entropy": result.levels[1].cross_entropy}
    assert set(data["lag_effects"][0]) == {"lag", "exact", "measured", "stderr", "fraction"}
    assert data["verdict"]["kind"] == "level" and data["verdict"]["learned"] == [2]
    assert data["best_match"]["learned"] == [2]
    text = str(result)
    assert text.startswith(PROCESS.describe() + "\nrun.npz: ")
    assert "verdict: level." in text
    assert result._repr_markdown_().startswith(f"`{PROCESS.describe()}`")
    frame = result.to_frame()
    assert frame.columns.tolist() == ["learned", "cross_entropy", "divergence"]
    assert result.lag_frame()["used"].tolist() == ["fully", "no"]
    assert result.to_csv().splitlines()[0] == "quantity,learned,value,stderr"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda x, y, p: (x, y, np.where(np.arange(p.size) == 12, 1.5, p)), "p[12] is 1.5: predictions"),
        (lambda x, y, p: (x, y, np.where(np.arange(p.size) == 30, -0.25, p)), "p[30] is -0.25"),
        (lambda x, y, p: (x, y, p[:-1]), "x and y have 60000 values but p has 59999"),
        (lambda x, y, p: (x, y[:-1], p), "x has 60000 values but y has 59999"),
        (lambda x, y, p: (x, y, p.astype(str)), "p holds <U32 values; expected probabilities"),
        (lambda x, y, p: (x[:1900], y[:1900], p[:1900]), "the series has 1900 rows; with lags up to 5"),
        (lambda x, y, p: (x, y, np.full(p.size, np.nan)), "no row has a prediction"),
    ],
)
def test_bad_input_is_one_line(series, models, change, message):
    x, y, p = change(*series, models[(2,)])
    with pytest.raises(EchoTheoryError) as error:
        score(PROCESS, x, y, p)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_a_symbolic_process_cannot_be_scored(series, models):
    with pytest.raises(EchoTheoryError, match="the rules hold symbols"):
        score(EchoProcess(["2:a", "5:-0.2"], base="0.4"), *series, models[(2,)])


# --- interaction rules: the verdict reads the per-rule effect ---------------------------------


def test_a_parity_model_is_read_through_its_rule_effect():
    """For 3^8 the per-lag effects are 0 whether or not a model learned the parity; only the
    rule effect tells a model that predicts P(y=1 | x3, x8) from one that predicts the base rate.
    The predictions are built here from the rule itself, not from the engine."""
    from echo_theory import EchoProcess, sample_series

    parity = EchoProcess(["3^8:+0.4"], base="0.3")
    x, y = sample_series(parity, 200_000, seed=11)
    t = np.arange(len(x))
    x3 = np.where(t >= 3, np.roll(x, 3), 0)
    x8 = np.where(t >= 8, np.roll(x, 8), 0)
    p_parity = 0.3 + 0.4 * ((x3 + x8) % 2)
    p_parity[:8] = np.nan  # warm-up: the inputs before the series are not in the file
    learned = score(parity, x, y, p_parity)
    assert [e.exact for e in learned.lag_effects] == [0.0, 0.0]
    (rule,) = learned.rule_effects
    assert str(rule.rule) == "3^8:+2/5" and rule.used == "fully"
    assert learned.verdict.kind == "level" and learned.verdict.learned == (3, 8)
    assert learned.to_dict()["rule_effects"][0]["rule"] == "3^8:+2/5"
    base_rate = np.full(len(x), 0.5)  # P(y=1) = 0.3 + 0.4 * P(odd) = 0.5 whatever one lag says
    nothing = score(parity, x, y, base_rate)
    assert nothing.rule_effects[0].used == "no"
    assert nothing.verdict.kind == "level" and nothing.verdict.learned == ()


def test_rule_effects_count_window_positions_as_the_pass_does():
    """Under --window, a window restarts after every NaN row (train drops the end of each batch
    row): a parity rule's effect counts a step only where its window reaches back to lag 8."""
    from echo_theory import EchoProcess, sample_series
    from echo_theory.diagnosis.counting import window_positions

    parity = EchoProcess(["3^8:+0.4"], base="0.3")
    x, y = sample_series(parity, 50_000, seed=3)
    p = np.full(x.size, 0.5)
    p[997:1000] = np.nan  # rows of 1000 steps in windows of 10: the last 3 of a 997-step row
    p[1997:2000] = np.nan
    (effect,) = score(parity, x, y, p, window=10).rule_effects
    # counted by hand: positions restart after each NaN run
    position, counted = 0, 0
    for t in range(x.size):
        if np.isnan(p[t]):
            position = 0
            continue
        counted += t >= 8 and position >= 8
        position = (position + 1) % 10
    assert effect.steps == counted
    assert (window_positions(p, 10)[1000:1003] == [0, 1, 2]).all()
