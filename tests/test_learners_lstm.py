"""The LSTM against its textbook equations, written out here for one model and one column."""

import numpy as np

from echo_theory.learners import lstm


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_forward_is_the_textbook_lstm():
    rng = np.random.default_rng(2)
    h_size, batch, steps = 3, 2, 5
    params = lstm.CELL.init_parameters(h_size, [4])
    params.flat += rng.normal(0, 0.3, params.flat.shape)
    x = rng.integers(0, 2, (1, steps, 1, batch)).astype(float)
    y = rng.integers(0, 2, (1, steps, 1, batch)).astype(float)
    h0 = rng.normal(0, 0.5, (1, 2 * h_size, batch))  # [h; c]
    unroll = lstm.Unroll(1, h_size, batch, steps)
    loss = unroll.forward(params, x, y, h0)[0, 0]
    W_x, W_h, b = params.W_xh[0], params.W_hh[0], params.b_h[0]
    i_, f_, g_, o_ = (slice(k * h_size, (k + 1) * h_size) for k in range(4))  # PyTorch's order
    total = 0.0
    for col in range(batch):
        h, c = h0[0, :h_size, col], h0[0, h_size:, col]
        for t in range(steps):
            a = W_x @ np.eye(2)[int(x[0, t, 0, col])] + b + W_h @ h
            c = sigmoid(a[f_]) * c + sigmoid(a[i_]) * np.tanh(a[g_])
            h = sigmoid(a[o_]) * np.tanh(c)
            np.testing.assert_allclose(
                unroll.states[0, t + 1, 0, :, col], np.concatenate([h, c]), rtol=1e-13, atol=1e-15
            )
            logits = params.W_hy[0] @ h + params.b_y[0]
            total -= logits[int(y[0, t, 0, col])] - np.log(np.exp(logits).sum())
    assert np.isclose(loss, total / (steps * batch), rtol=1e-13)


def test_forget_gate_starts_open():
    params = lstm.CELL.init_parameters(4, [0, 1])
    assert (params.b_h[:, 4:8] == lstm.FORGET_BIAS).all()
    assert (params.b_h[:, :4] == 0).all() and (params.b_h[:, 8:] == 0).all()
