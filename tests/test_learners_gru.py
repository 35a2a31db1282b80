"""The GRU against its textbook equations, written out here for one model and one column."""

import numpy as np

from echo_theory.learners import gru


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_forward_is_the_textbook_gru():
    rng = np.random.default_rng(1)
    h_size, batch, steps = 3, 2, 5
    params = gru.CELL.init_parameters(h_size, [4])
    params.flat += rng.normal(0, 0.3, params.flat.shape)
    x = rng.integers(0, 2, (1, steps, 1, batch)).astype(float)
    y = rng.integers(0, 2, (1, steps, 1, batch)).astype(float)
    h0 = rng.normal(0, 0.5, (1, h_size, batch))
    unroll = gru.Unroll(1, h_size, batch, steps)
    loss = unroll.forward(params, x, y, h0)[0, 0]
    W_x, W_h, b = params.W_xh[0], params.W_hh[0], params.b_h[0]
    r_, z_, n_ = (slice(k * h_size, (k + 1) * h_size) for k in range(3))
    total = 0.0
    for col in range(batch):
        h = h0[0, :, col]
        for t in range(steps):
            onehot = np.eye(2)[int(x[0, t, 0, col])]
            r = sigmoid(W_x[r_] @ onehot + b[r_] + W_h[r_] @ h)
            z = sigmoid(W_x[z_] @ onehot + b[z_] + W_h[z_] @ h)
            n = np.tanh(W_x[n_] @ onehot + b[n_] + r * (W_h[n_] @ h))
            h = (1 - z) * n + z * h
            np.testing.assert_allclose(unroll.states[0, t + 1, 0, :, col], h, rtol=1e-13, atol=1e-15)
            logits = params.W_hy[0] @ h + params.b_y[0]
            total -= logits[int(y[0, t, 0, col])] - np.log(np.exp(logits).sum())
    assert np.isclose(loss, total / (steps * batch), rtol=1e-13)
