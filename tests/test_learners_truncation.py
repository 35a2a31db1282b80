"""True truncation, BPTT(T, 1): each loss reaches exactly T steps back. The reference is a
plain composition written here: every loss's own chain of T steps (from the state the row
carried, held constant, or from zero), differentiated by central differences."""

import numpy as np
import pytest

from echo_theory.learners import CELLS
from echo_theory.learners.cell import probability
from echo_theory.learners.truncation import TrueUnroll


def case(cell, models=2, state=3, batch=3, steps=3, block=4, seed=0):
    rng = np.random.default_rng(seed)
    params = cell.init_parameters(state, list(range(models)))
    params.flat += rng.normal(0, 0.3, params.flat.shape)
    length = steps - 1 + block
    x = rng.integers(0, 2, (length, models, batch)).astype(float)
    y = rng.integers(0, 2, (block, models, batch)).astype(float)
    h0 = rng.normal(0, 0.5, (models, params.state_rows, batch))
    return params, x, y, h0


def chains_loss(cell, params, x, y, starts, steps):
    """Mean over the K losses of -log P(y), each from its chain of ``steps`` steps."""
    total = 0.0
    for j, start in enumerate(starts):
        state = start
        for i in range(steps):
            state = cell.step_states(params, state, x[j + i])
        p = probability(params, state)
        total -= np.where(y[j] == 1, np.log(p), np.log1p(-p)).mean(axis=-1)
    return total / len(starts)


def carried_starts(cell, params, x, h0, block):
    """The row's states before steps 0 .. K-1, run forward from h0 (held constant after)."""
    states, state = [], h0
    for j in range(block):
        states.append(state)
        state = cell.step_states(params, state, x[j])
    return states


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(1e-300, np.linalg.norm(a) + np.linalg.norm(b))


@pytest.mark.parametrize("name", list(CELLS))
@pytest.mark.parametrize("reset_state", [False, True])
def test_gradient_is_each_loss_backpropagated_T_steps(name, reset_state):
    cell = CELLS[name]
    params, x, y, h0 = case(cell)
    steps, block = 3, 4
    unroll = TrueUnroll(cell, params.models, params.state_size, x.shape[2], steps, block, reset_state)
    loss = unroll.forward(params, x, y, h0)
    grads = cell.Parameters.zeros(params.models, params.state_size)
    unroll.backward(params, grads)
    if reset_state:
        starts = [np.zeros_like(h0)] * block
    else:
        starts = [s.copy() for s in carried_starts(cell, params, x, h0, block)]
    np.testing.assert_allclose(loss, chains_loss(cell, params, x, y, starts, steps), rtol=1e-12)

    def f():
        return chains_loss(cell, params, x, y, starts, steps).sum()

    eps, numeric = 1e-5, np.zeros_like(params.flat)
    for index in np.ndindex(params.flat.shape):
        old = params.flat[index]
        params.flat[index] = old + eps
        up = f()
        params.flat[index] = old - eps
        numeric[index] = (up - f()) / (2 * eps)
        params.flat[index] = old
    assert rel_error(numeric, grads.flat) < 1e-6


def test_true_and_tf_agree_when_T_is_one():
    """With T = 1 each loss reaches back one step in both styles."""
    cell = CELLS["gru"]
    params, x, y, h0 = case(cell, steps=1, block=4)
    unroll = TrueUnroll(cell, params.models, params.state_size, x.shape[2], 1, 4, False)
    grads = cell.Parameters.zeros(params.models, params.state_size)
    unroll.forward(params, x, y, h0)
    unroll.backward(params, grads)
    windows = cell.Unroll(params.models, params.state_size, x.shape[2], 4)
    theirs = cell.Parameters.zeros(params.models, params.state_size)
    windows.forward(params, x[None], y[None], h0)
    # a window of 4 from the same state backpropagates further, so only the output layer agrees
    windows.backward(params, theirs)
    np.testing.assert_allclose(grads.W_hy, theirs.W_hy, rtol=1e-12)
    assert not np.allclose(grads.W_hh, theirs.W_hh)
