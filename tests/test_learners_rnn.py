"""The hand-written RNN: gradients against central differences, a real truncation, stable losses."""

import math

import numpy as np
import pytest

from echo_theory.learners.rnn import (
    PARAMETERS,
    Parameters,
    Unroll,
    init_parameters,
    parameter_count,
    probability,
    step_states,
)


def tiny_case(models=2, state=3, batch=4, steps=5, windows=1, seed=0):
    rng = np.random.default_rng(seed)
    params = init_parameters(state, list(range(models)))
    params.flat += rng.normal(0, 0.3, params.flat.shape)  # nonzero biases too
    x = rng.integers(0, 2, (windows, steps, models, batch)).astype(float)
    y = rng.integers(0, 2, (windows, steps, models, batch)).astype(float)
    h0 = rng.normal(0, 0.5, (models, state, batch))
    return params, x, y, h0


def rel_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-12, np.abs(a) + np.abs(b)))


def total_loss(params, x, y, h0, reset_state=False):
    unroll = Unroll(params.models, params.state_size, x.shape[3], x.shape[1], x.shape[0])
    return unroll.forward(params, x, y, h0, reset_state).sum()


def test_parameters_are_views_into_one_flat_buffer():
    params = Parameters.zeros(3, 4)
    assert params.flat.shape == (3, parameter_count(4)) == (3, 8 + 16 + 4 + 8 + 2)
    shapes = {name: getattr(params, name).shape for name in PARAMETERS}
    assert shapes == {"W_xh": (3, 4, 2), "W_hh": (3, 4, 4), "b_h": (3, 4), "W_hy": (3, 2, 4), "b_y": (3, 2)}
    for name in PARAMETERS:
        getattr(params, name)[...] = 1.0
    assert (params.flat == 1.0).all()  # every entry belongs to exactly one named view
    params.W_hh[1, 2, 3] = 7.0
    assert params.flat[1, 8 + 2 * 4 + 3] == 7.0


def test_init_is_glorot_uniform_with_zero_biases():
    params = init_parameters(4, [0, 1])
    cell_limit, out_limit = math.sqrt(6 / 10), math.sqrt(6 / 6)
    assert np.abs(params.W_xh).max() <= cell_limit and np.abs(params.W_hh).max() <= cell_limit
    assert np.abs(params.W_hy).max() <= out_limit
    assert (params.b_h == 0).all() and (params.b_y == 0).all()
    assert not np.array_equal(params.W_hh[0], params.W_hh[1])  # each model its own seed
    np.testing.assert_array_equal(init_parameters(4, [1]).flat[0], params.flat[1])


@pytest.mark.parametrize("windows, reset_state", [(1, False), (2, True)])
def test_gradient_check(windows, reset_state):
    """Central differences in float64: every parameter and the incoming state, relative error
    < 1e-6. With the state reset at the border of two windows, nothing crosses it, so the
    truncated gradient is the whole gradient there too."""
    params, x, y, h0 = tiny_case(windows=windows)
    unroll = Unroll(params.models, params.state_size, x.shape[3], x.shape[1], windows)
    unroll.forward(params, x, y, h0, reset_state)
    grads = Parameters.zeros(params.models, params.state_size)
    dh0, _ = unroll.backward(params, grads)

    def loss(p, h):
        return total_loss(p, x, y, h, reset_state)

    eps = 1e-5
    numeric = np.zeros_like(params.flat)
    for index in np.ndindex(params.flat.shape):
        shifted = params.copy()
        shifted.flat[index] += eps
        up = loss(shifted, h0)
        shifted.flat[index] -= 2 * eps
        numeric[index] = (up - loss(shifted, h0)) / (2 * eps)
    for name in PARAMETERS:
        assert (
            rel_error(getattr(Parameters(numeric, params.state_size), name), getattr(grads, name)) < 1e-6
        ), name

    numeric_h0 = np.zeros_like(h0)
    for index in np.ndindex(h0.shape):
        shifted = h0.copy()
        shifted[index] += eps
        up = loss(params, shifted)
        shifted[index] -= 2 * eps
        numeric_h0[index] = (up - loss(params, shifted)) / (2 * eps)
    assert rel_error(numeric_h0, dh0) < 1e-6


def test_input_gradient_is_the_gradient_of_the_relaxed_input():
    """dx treats each input x_t as a real number (onehot = (1 - x, x)): dloss/dx."""
    params, x, y, h0 = tiny_case()
    unroll = Unroll(params.models, params.state_size, x.shape[3], x.shape[1])
    unroll.forward(params, x, y, h0)
    _, dx = unroll.backward(params, Parameters.zeros(params.models, params.state_size), input_gradient=True)
    eps, index = 1e-5, (0, 2, 1, 3)
    shifted = x.copy()
    shifted[index] += eps
    up = total_loss(params, shifted, y, h0)
    shifted[index] -= 2 * eps
    numeric = (up - total_loss(params, shifted, y, h0)) / (2 * eps)
    w, t, m, b = index
    assert rel_error(np.array(numeric), dx[w, t, m, b]) < 1e-6


def test_truncation_is_real():
    """A window's loss sends exactly zero gradient to the inputs before the window, although
    with the state carried it does depend on them."""
    params, x, y, h0 = tiny_case(windows=2)
    models, state, batch, steps = params.models, params.state_size, x.shape[3], x.shape[1]
    grads = Parameters.zeros(models, state)

    both = Unroll(models, state, batch, steps, windows=2)
    both.forward(params, x, y, h0)
    dh0_both, dx_both = both.backward(params, grads, input_gradient=True)
    first = Unroll(models, state, batch, steps, windows=1)
    first.forward(params, x[:1], y[:1], h0)
    dh0_first, dx_first = first.backward(params, Parameters.zeros(models, state), input_gradient=True)
    # window 2 adds nothing, not even rounding, to the gradient of window 1's inputs and state
    assert np.array_equal(dx_both[0], dx_first[0])
    assert np.array_equal(dh0_both, dh0_first)
    # and window 2's own gradient is that of a window starting from the carried state as a constant
    second = Unroll(models, state, batch, steps, windows=1)
    second.forward(params, x[1:], y[1:], first.final_state.copy())
    _, dx_second = second.backward(params, Parameters.zeros(models, state), input_gradient=True)
    assert np.array_equal(dx_both[1], dx_second[0])

    # ... while window 2's loss does change when an input of window 1 changes
    def second_window_loss(x_first):
        unroll = Unroll(models, state, batch, steps, windows=2)
        return unroll.forward(params, np.concatenate([x_first, x[1:]]), y, h0)[1].sum()

    flipped = x[:1].copy()
    flipped[0, steps - 1] = 1 - flipped[0, steps - 1]
    assert abs(second_window_loss(flipped) - second_window_loss(x[:1])) > 1e-6

    # without the cut (one window of 2T) the same inputs do get gradient from the later steps
    long = Unroll(models, state, batch, 2 * steps)
    long.forward(params, x.reshape(1, 2 * steps, models, batch), y.reshape(1, 2 * steps, models, batch), h0)
    _, dx_long = long.backward(params, Parameters.zeros(models, state), input_gradient=True)
    assert not np.allclose(dx_long[0, :steps] * 2, dx_first[0])  # x2: the long window's mean is over 2T


def test_reset_state_zeroes_each_window():
    params, x, y, h0 = tiny_case(windows=3)
    unroll = Unroll(params.models, params.state_size, x.shape[3], x.shape[1], windows=3)
    losses = unroll.forward(params, x, y, np.zeros_like(h0), reset_state=True)
    for w in range(3):
        alone = Unroll(params.models, params.state_size, x.shape[3], x.shape[1])
        assert np.allclose(alone.forward(params, x[w : w + 1], y[w : w + 1], np.zeros_like(h0))[0], losses[w])
    carried = unroll.forward(params, x, y, np.zeros_like(h0))
    assert not np.allclose(carried[1:], losses[1:])


def test_models_are_independent():
    params, x, y, h0 = tiny_case(models=3)
    unroll = Unroll(3, params.state_size, x.shape[3], x.shape[1])
    losses = unroll.forward(params, x, y, h0)[0]
    grads = Parameters.zeros(3, params.state_size)
    unroll.backward(params, grads)
    for m in range(3):
        one = Parameters(params.flat[m : m + 1].copy(), params.state_size)
        alone = Unroll(1, params.state_size, x.shape[3], x.shape[1])
        assert np.isclose(
            alone.forward(one, x[:, :, m : m + 1], y[:, :, m : m + 1], h0[m : m + 1])[0, 0], losses[m]
        )
        own = Parameters.zeros(1, params.state_size)
        alone.backward(one, own)
        np.testing.assert_allclose(own.flat[0], grads.flat[m], rtol=1e-12, atol=1e-15)


def test_loss_is_the_mean_cross_entropy_of_a_softmax():
    """Against the textbook: softmax over (z_0, z_1), -log of the true class, mean over T*B."""
    params, x, y, h0 = tiny_case(models=1)
    unroll = Unroll(1, params.state_size, x.shape[3], x.shape[1])
    loss = unroll.forward(params, x, y, h0)[0, 0]
    h = unroll.hs[0, 1:, 0]  # (T, H, B)
    logits = np.einsum("ch,thb->tcb", params.W_hy[0], h) + params.b_y[0][None, :, None]
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    chosen = np.take_along_axis(log_softmax, y[0, :, 0].astype(int)[:, None, :], axis=1)
    assert loss == pytest.approx(-chosen.mean(), rel=1e-13)
    p = probability(params, h[:, None])[:, 0]
    assert np.allclose(p, np.exp(log_softmax[:, 1]))


def test_confident_outputs_stay_finite():
    """p -> 0 or 1: a confident wrong answer costs a large finite loss, a right one costs 0,
    and nothing is inf or nan (logsumexp, and the sigmoid through tanh)."""
    params, x, y, h0 = tiny_case(models=1)
    params.W_hy[...] = 0.0
    params.b_y[0] = [0.0, 1e4]  # P(y=1) = 1 to machine precision
    unroll = Unroll(1, params.state_size, x.shape[3], x.shape[1])
    ones = np.ones_like(y)
    assert unroll.forward(params, x, ones, h0)[0, 0] == 0.0
    wrong = unroll.forward(params, x, np.zeros_like(y), h0)[0, 0]
    assert wrong == pytest.approx(1e4)
    grads = Parameters.zeros(1, params.state_size)
    unroll.backward(params, grads)
    assert np.isfinite(grads.flat).all()
    assert grads.b_y[0, 1] == pytest.approx(1.0)  # dloss/dd = P(y=1) - y = 1 on every term


def test_step_states_matches_the_unrolled_steps():
    params, x, y, h0 = tiny_case()
    unroll = Unroll(params.models, params.state_size, x.shape[3], x.shape[1])
    unroll.forward(params, x, y, h0)
    h = h0
    for t in range(x.shape[1]):
        h = step_states(params, h, x[0, t])
        np.testing.assert_allclose(h, unroll.hs[0, t + 1], rtol=1e-14, atol=1e-15)


def test_unroll_checks_its_window():
    params, x, y, h0 = tiny_case()
    unroll = Unroll(params.models, params.state_size, x.shape[3], x.shape[1] + 1)
    with pytest.raises(ValueError, match="windows of 6 steps"):
        unroll.forward(params, x, y, h0)
