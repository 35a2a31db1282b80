"""Held-out loss and lag effects against a naive RNN written here: one row, one step at a time."""

import numpy as np
import pytest

from echo_theory import evaluation
from echo_theory.evaluation import arrange, evaluate
from echo_theory.learners.rnn import init_parameters


def test_arrange_cuts_rows_into_windows():
    models, batch, steps, length = 2, 3, 4, 3 * 11 + 2
    series = np.arange(models * length).reshape(models, length) % 251
    windows = arrange(series.astype(np.uint8), batch, steps)
    row = length // batch
    assert windows.shape == (row // steps, steps, models, batch) == (2, 4, 2, 3)
    assert windows.dtype == np.uint8 and windows.flags.c_contiguous
    for w, t, m, b in np.ndindex(windows.shape):
        assert windows[w, t, m, b] == series[m, b * row + w * steps + t]


def naive_probabilities(params, m, xs, steps, reset_state):
    """P(y_t = 1) along one row, by the textbook recurrence and softmax."""
    h = np.zeros(params.state_size)
    out = []
    for t, x in enumerate(xs):
        if reset_state and t % steps == 0:
            h = np.zeros(params.state_size)
        h = np.tanh(params.W_xh[m][:, int(x)] + params.W_hh[m] @ h + params.b_h[m])
        logits = params.W_hy[m] @ h + params.b_y[m]
        out.append(np.exp(logits[1] - np.logaddexp(logits[0], logits[1])))
    return np.array(out)


def naive(params, x, y, steps, reset_state, lags, positions=None):
    """Held-out loss and lag effects per model, from rows laid out as in ``arrange``."""
    windows, _, models, batch = x.shape
    rows_x = x.transpose(2, 3, 0, 1).reshape(models, batch, windows * steps)
    rows_y = y.transpose(2, 3, 0, 1).reshape(models, batch, windows * steps)
    positions = range(windows * steps) if positions is None else positions
    losses, effects = [], {lag: [] for lag in lags}
    for m in range(models):
        total, sums = 0.0, {lag: [0.0, 0] for lag in lags}
        for b in range(batch):
            xs = rows_x[m, b]
            p = naive_probabilities(params, m, xs, steps, reset_state)
            total += -np.where(rows_y[m, b] == 1, np.log(p), np.log(1 - p)).sum()
            for lag in lags:
                for t in positions:
                    eligible = (t % steps >= lag) if reset_state else (t >= lag)
                    if eligible:
                        flipped = [xs.copy(), xs.copy()]
                        flipped[0][t - lag], flipped[1][t - lag] = 0, 1
                        on = naive_probabilities(params, m, flipped[1], steps, reset_state)[t]
                        off = naive_probabilities(params, m, flipped[0], steps, reset_state)[t]
                        sums[lag][0] += on - off
                        sums[lag][1] += 1
        losses.append(total / (batch * windows * steps))
        for lag in lags:
            effects[lag].append(sums[lag][0] / sums[lag][1] if sums[lag][1] else None)
    return np.array(losses), effects


def case(models=2, state=3, batch=3, steps=4, windows=6, seed=0):
    rng = np.random.default_rng(seed)
    params = init_parameters(state, list(range(models)))
    params.flat += rng.normal(0, 0.8, params.flat.shape)
    x = rng.integers(0, 2, (windows, steps, models, batch)).astype(float)
    y = rng.integers(0, 2, (windows, steps, models, batch)).astype(float)
    return params, x, y


@pytest.mark.parametrize("reset_state", [False, True])
@pytest.mark.parametrize("block_steps", [256, 4, 8])  # one block, or many with a tail between them
def test_evaluate_matches_the_naive_rnn(monkeypatch, reset_state, block_steps):
    monkeypatch.setattr(evaluation, "_BLOCK_STEPS", block_steps)
    monkeypatch.setattr(evaluation, "_CHUNK_TARGETS", 3)
    params, x, y = case()
    lags = (0, 2, 5)
    loss, effects = evaluate(params, x, y, 4, reset_state, lags)
    expected_loss, expected_effects = naive(params, x, y, 4, reset_state, lags)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    for lag in lags:
        if reset_state and lag >= 4:
            assert effects[lag] is None  # no target of a window reaches back 5 steps
            assert expected_effects[lag] == [None, None]
        else:
            np.testing.assert_allclose(effects[lag], expected_effects[lag], rtol=1e-10, atol=1e-14)


def test_effects_on_a_budget_measure_every_other_block(monkeypatch):
    monkeypatch.setattr(evaluation, "_BLOCK_STEPS", 8)  # blocks of 2 windows = 8 steps
    params, x, y = case(windows=8)
    targets = 8 * 4 * 3  # windows * steps * rows
    monkeypatch.setattr(evaluation, "EFFECT_TARGETS", targets // 2)  # measure every 2nd block
    _, effects = evaluate(params, x, y, 4, False, (3,))
    measured = [t for t in range(32) if (t // 8) % 2 == 0]  # blocks 0 and 2
    _, expected = naive(params, x, y, 4, False, (3,), positions=measured)
    np.testing.assert_allclose(effects[3], expected[3], rtol=1e-10)


def naive_chains(params, x, y, steps, lags, targets=None):
    """True truncation with a reset state: y_t from its own chain over x[t-T+1] ... x[t],
    for the first ``targets`` t >= T-1 of each row (all of them by default)."""
    windows, _, models, batch = x.shape
    rows_x = x.transpose(2, 3, 0, 1).reshape(models, batch, windows * steps)
    rows_y = y.transpose(2, 3, 0, 1).reshape(models, batch, windows * steps)
    losses, effects = [], {lag: [] for lag in lags}
    for m in range(models):
        total, count, sums = 0.0, 0, {lag: 0.0 for lag in lags}
        for b in range(batch):
            last = windows * steps if targets is None else steps - 1 + targets
            for t in range(steps - 1, last):
                chain = rows_x[m, b, t - steps + 1 : t + 1].copy()
                p = naive_probabilities(params, m, chain, steps, False)[-1]
                total -= np.log(p) if rows_y[m, b, t] == 1 else np.log(1 - p)
                count += 1
                for lag in lags:
                    chain[steps - 1 - lag] = 1
                    on = naive_probabilities(params, m, chain, steps, False)[-1]
                    chain[steps - 1 - lag] = 0
                    sums[lag] += on - naive_probabilities(params, m, chain, steps, False)[-1]
                    chain[steps - 1 - lag] = rows_x[m, b, t - lag]
        losses.append(total / count)
        for lag in lags:
            effects[lag].append(sums[lag] / count)
    return np.array(losses), effects


@pytest.mark.parametrize("block_steps, targets", [(256, 9), (8, 8)])
def test_true_truncation_with_reset_matches_naive_chains(monkeypatch, block_steps, targets):
    """Rows of 12 steps, T = 4: 9 targets; in blocks of 2 targets the 9th is left out."""
    monkeypatch.setattr(evaluation, "_BLOCK_STEPS", block_steps)
    params, x, y = case(windows=3)
    loss, effects = evaluate(params, x, y, 4, True, (0, 2, 5), truncation="true")
    expected_loss, expected_effects = naive_chains(params, x, y, 4, (0, 2), targets)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    for lag in (0, 2):
        np.testing.assert_allclose(effects[lag], expected_effects[lag], rtol=1e-10, atol=1e-14)
    assert effects[5] is None  # no chain of 4 steps reaches back 5
