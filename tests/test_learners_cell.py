"""Every cell (rnn, gru, lstm) through the shared unroll: gradients against central differences
in float64, the cut at window borders, models kept apart, and the one-step probe."""

import numpy as np
import pytest

from echo_theory.errors import SettingError
from echo_theory.learners import CELLS, get_cell, unroll_for
from echo_theory.learners.cell import PARAMETERS


def tiny_case(cell, models=2, state=3, batch=4, steps=4, windows=1, seed=0):
    rng = np.random.default_rng(seed)
    params = cell.init_parameters(state, list(range(models)))
    params.flat += rng.normal(0, 0.3, params.flat.shape)  # nonzero biases too
    x = rng.integers(0, 2, (windows, steps, models, batch)).astype(float)
    y = rng.integers(0, 2, (windows, steps, models, batch)).astype(float)
    h0 = rng.normal(0, 0.5, (models, params.state_rows, batch))
    return params, x, y, h0


def rel_error(a, b):
    """Relative error of a whole parameter (entrywise it is dominated by the finite
    differences' rounding on entries near zero)."""
    return np.linalg.norm(a - b) / max(1e-300, np.linalg.norm(a) + np.linalg.norm(b))


def total_loss(params, x, y, h0, reset_state=False):
    unroll = unroll_for(params, x.shape[3], x.shape[1], x.shape[0])
    return unroll.forward(params, x, y, h0, reset_state).sum()


def numeric_gradient(f, array, eps=1e-5):
    numeric = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        old = array[index]
        array[index] = old + eps
        up = f()
        array[index] = old - eps
        numeric[index] = (up - f()) / (2 * eps)
        array[index] = old
    return numeric


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("windows, reset_state", [(1, False), (2, True)])
def test_gradient_check(name, windows, reset_state):
    """Every parameter, the incoming state and the inputs: relative error < 1e-6."""
    cell = CELLS[name]
    params, x, y, h0 = tiny_case(cell, windows=windows)
    unroll = unroll_for(params, x.shape[3], x.shape[1], windows)
    unroll.forward(params, x, y, h0, reset_state)
    grads = cell.Parameters.zeros(params.models, params.state_size)
    dh0, dx = unroll.backward(params, grads, input_gradient=True)
    numeric = cell.Parameters(
        numeric_gradient(lambda: total_loss(params, x, y, h0, reset_state), params.flat), params.state_size
    )
    for parameter in PARAMETERS:
        assert rel_error(getattr(numeric, parameter), getattr(grads, parameter)) < 1e-6, parameter
    assert rel_error(numeric_gradient(lambda: total_loss(params, x, y, h0, reset_state), h0), dh0) < 1e-6
    assert rel_error(numeric_gradient(lambda: total_loss(params, x, y, h0, reset_state), x), dx) < 1e-6


@pytest.mark.parametrize("name", list(CELLS))
def test_no_gradient_crosses_a_window_border(name):
    """Window 2's loss depends on window 1's inputs through the carried state, yet sends them
    exactly zero gradient; and window 2's gradient is that of a window from a constant state."""
    cell = CELLS[name]
    params, x, y, h0 = tiny_case(cell, windows=2)
    both = unroll_for(params, x.shape[3], x.shape[1], 2)
    both.forward(params, x, y, h0)
    _, dx_both = both.backward(params, cell.Parameters.zeros(params.models, params.state_size), True)
    first = unroll_for(params, x.shape[3], x.shape[1])
    first.forward(params, x[:1], y[:1], h0)
    _, dx_first = first.backward(params, cell.Parameters.zeros(params.models, params.state_size), True)
    assert np.array_equal(dx_both[0], dx_first[0])
    second = unroll_for(params, x.shape[3], x.shape[1])
    second.forward(params, x[1:], y[1:], first.final_state.copy())
    _, dx_second = second.backward(params, cell.Parameters.zeros(params.models, params.state_size), True)
    assert np.array_equal(dx_both[1], dx_second[0])
    flipped = x.copy()
    flipped[0, -1] = 1 - flipped[0, -1]
    later = unroll_for(params, x.shape[3], x.shape[1], 2)
    assert (
        abs(later.forward(params, flipped, y, h0)[1].sum() - both.forward(params, x, y, h0)[1].sum()) > 1e-6
    )


@pytest.mark.parametrize("name", list(CELLS))
def test_models_are_independent(name):
    cell = CELLS[name]
    params, x, y, h0 = tiny_case(cell, models=3)
    unroll = unroll_for(params, x.shape[3], x.shape[1])
    losses = unroll.forward(params, x, y, h0)[0]
    grads = cell.Parameters.zeros(3, params.state_size)
    unroll.backward(params, grads)
    for m in range(3):
        one = cell.Parameters(params.flat[m : m + 1].copy(), params.state_size)
        alone = unroll_for(one, x.shape[3], x.shape[1])
        assert np.isclose(
            alone.forward(one, x[:, :, m : m + 1], y[:, :, m : m + 1], h0[m : m + 1])[0, 0], losses[m]
        )
        own = cell.Parameters.zeros(1, params.state_size)
        alone.backward(one, own)
        np.testing.assert_allclose(own.flat[0], grads.flat[m], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(CELLS))
def test_step_states_matches_the_unroll(name):
    cell = CELLS[name]
    params, x, y, h0 = tiny_case(cell)
    unroll = unroll_for(params, x.shape[3], x.shape[1])
    unroll.forward(params, x, y, h0)
    state = h0
    for t in range(x.shape[1]):
        state = cell.step_states(params, state, x[0, t])
        np.testing.assert_allclose(state, unroll.states[0, t + 1], rtol=1e-14, atol=1e-15)


def test_parameters_follow_pytorchs_gate_layout():
    for name, gates in [("rnn", 1), ("gru", 3), ("lstm", 4)]:
        params = get_cell(name).Parameters.zeros(2, 5)
        assert params.W_xh.shape == (2, 5 * gates, 2) and params.W_hh.shape == (2, 5 * gates, 5)
        assert params.b_h.shape == (2, 5 * gates) and params.W_hy.shape == (2, 2, 5)
        for parameter in PARAMETERS:
            getattr(params, parameter)[...] = 1.0
        assert (params.flat == 1.0).all()  # every entry in exactly one named view
    assert get_cell("lstm").init_parameters(3, [0]).b_h[0].tolist() == [0.0] * 3 + [1.0] * 3 + [0.0] * 6


def test_unknown_cell_names_the_choices():
    with pytest.raises(SettingError, match="'cnn' is not one of rnn, gru, lstm"):
        get_cell("cnn")


def test_parameters_of_another_cell_are_refused():
    params, x, y, h0 = tiny_case(CELLS["gru"])
    with pytest.raises(ValueError, match="gru"):
        CELLS["rnn"].Unroll(2, 3, 4, 4).forward(params, x, y, h0[:, :3])
