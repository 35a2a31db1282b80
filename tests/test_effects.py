"""Per-rule effects from (x, p): against exact values, hand counts and their own error bars."""

from fractions import Fraction

import numpy as np
import pytest

from echo_theory import EchoProcess
from echo_theory.effects import rule_effects
from echo_theory.errors import EchoTheoryError
from echo_theory.sampler import sample_series

PARITY = EchoProcess(["3^8:+0.4"], base="0.3")
MIXED = EchoProcess(["3:+0.2", "5&8:+0.3", "3^5:-0.25"], base="0.4", p_x="1/3", clip=True)


def true_p(process, x):
    """P(y_t = 1 | x) at every step, from each rule's condition written out here (NaN where a
    lag reaches before the series), clipped as the process is."""
    top, n = max(process.lags), len(x)
    value = np.full(n - top, float(process.base))
    for rule in process.rules:
        ones = sum(x[top - lag : n - lag].astype(int) for lag in rule.lags)
        fires = ones % 2 == 1 if rule.kind == "xor" else ones == len(rule.lags)
        value += float(rule.shift) * fires
    if process.clip:
        value = np.clip(value, 0, 1)
    return np.concatenate([np.full(top, np.nan), value])


@pytest.mark.parametrize("process", [PARITY, MIXED], ids=["parity", "mixed"])
def test_the_true_probabilities_measure_the_exact_effect(process):
    x, y = sample_series(process, 60_000, seed=1)
    effects = rule_effects(process, x, y, true_p(process, x))
    assert [str(e.rule) for e in effects] == [str(r) for r in process.rules if r.kind != "lag"]
    for effect in effects:
        assert effect.exact == process.rule_effect(effect.rule)
        assert abs(effect.measured - float(effect.exact)) < 4 * effect.stderr + 1e-12
        assert abs(effect.fraction - 1) < 0.1
        assert effect.steps == 60_000 - max(process.lags)  # true_p is NaN before the longest lag


def test_the_standard_error_covers():
    """Over 120 series the nominal 95% interval of the true probabilities' effect holds the
    exact value about 95% of the time (the steps are dependent: the same x enters 2 rules)."""
    hits = 0
    for seed in range(120):
        x, y = sample_series(MIXED, 6_000, seed=seed)
        for effect in rule_effects(MIXED, x, y, true_p(MIXED, x)):
            hits += abs(effect.measured - float(effect.exact)) < 1.96 * effect.stderr
    assert 0.90 <= hits / 240 <= 0.99


def test_a_model_that_ignores_the_condition_measures_nothing():
    x, y = sample_series(PARITY, 20_000, seed=2)
    (effect,) = rule_effects(PARITY, x, y, np.full(len(x), 0.5))
    assert effect.measured == 0 and effect.stderr == 0 and effect.fraction == 0
    # one lag alone says nothing about a parity at p_x = 1/2: a model that learned x[t-3]
    # perfectly (P(y=1 | x3) = 1/2 either way) has no effect either
    (effect,) = rule_effects(PARITY, x, y, np.where(x[np.arange(len(x)) - 3] == 1, 0.5, 0.5))
    assert effect.measured == 0


def test_which_steps_count_by_hand():
    process = EchoProcess(["1&2:+0.5"], base="0.25")
    x = np.array([1, 1, 1, 0, 1, 1, 0, 1], dtype=np.uint8)
    p = np.array([0.9, 0.9, 0.7, 0.8, 0.2, 0.6, 0.9, 0.1])
    y = np.zeros(8, dtype=np.uint8)
    # t = 2..7: x[t-1] & x[t-2] = 1, 1, 0, 0, 1, 0 -> true at t = 2, 3, 6
    (effect,) = rule_effects(process, x, y, p)
    assert effect.steps == 6
    assert effect.measured == pytest.approx((0.7 + 0.8 + 0.9) / 3 - (0.2 + 0.6 + 0.1) / 3)
    assert effect.exact == Fraction(1, 2) and effect.stderr is None  # too few steps for batches
    # stretches of 4 steps: t counts when t mod 4 >= 2, so t = 2, 3, 6, 7; a NaN drops t = 3
    p[3] = np.nan
    (effect,) = rule_effects(process, x, y, p, segment=4)
    assert effect.steps == 3
    assert effect.measured == pytest.approx((0.7 + 0.9) / 2 - 0.1)
    # a condition that never holds on the counted steps has no measured effect
    (effect,) = rule_effects(process, x, y, p, segment=2)
    assert effect.measured is None and effect.steps == 0


def test_only_interaction_rules_by_default():
    process = EchoProcess(["3:+0.2", "3^8:+0.2"])
    x, y = sample_series(process, 5_000, seed=3)
    p = true_p(process, x)
    assert [str(e.rule) for e in rule_effects(process, x, y, p)] == ["3^8:+1/5"]
    assert rule_effects(EchoProcess(["3:+0.2"]), x, y, p) == ()
    (single,) = rule_effects(process, x, y, p, rules=[process.rules[0]])
    assert single.exact == process.lag_effect(3)


def test_to_dict():
    x, y = sample_series(PARITY, 20_000, seed=4)
    (effect,) = rule_effects(PARITY, x, y, true_p(PARITY, x))
    data = effect.to_dict()
    assert list(data) == ["rule", "exact", "measured", "stderr", "fraction"]
    assert data["rule"] == "3^8:+2/5" and data["exact"] == 0.4


def test_bad_series():
    x = np.zeros(10, dtype=np.uint8)
    with pytest.raises(EchoTheoryError, match="equal length"):
        rule_effects(PARITY, x, x, np.zeros(9))
    with pytest.raises(EchoTheoryError, match="segment"):
        rule_effects(PARITY, x, x, np.zeros(10), segment=0)
