"""An LSTM cell (Hochreiter and Schmidhuber; with a forget gate), forward and backward by hand.

    [i; f; g; o] = W_xh onehot(x) + W_hh h + b_h       (PyTorch's gate order)
    c' = sigmoid(f) c + sigmoid(i) tanh(g)             h' = sigmoid(o) tanh(c')

The carried state is [h; c] (2H rows). The product's blocks are ordered [i; f; o; g], so the
three sigmoid gates are one slice. The forget gate's bias starts at 1, as TensorFlow's
LSTM cells add (forget_bias=1.0), so that the cell starts out remembering.
"""

from __future__ import annotations

import numpy as np

from . import cell
from .cell import Block, sigmoid, tanh

__all__ = ["LSTM", "Parameters", "Unroll"]

FORGET_BIAS = 1.0


class LSTM(cell.Cell):
    name = "lstm"
    gates = 4
    blocks = (
        Block(0, inputs=True, hidden=True, scale=-1.0),  # i
        Block(1, inputs=True, hidden=True, scale=-1.0),  # f
        Block(3, inputs=True, hidden=True, scale=-1.0),  # o
        Block(2, inputs=True, hidden=True, scale=-2.0),  # g (see ``cell.tanh``)
    )
    state_blocks = 2
    extra_blocks = 1  # tanh(c') kept for backward
    scratch_blocks = (1, 1, 3)

    def init_biases(self, params, m: int) -> None:
        h = params.state_size
        params.b_h[m, h : 2 * h] = FORGET_BIAS

    def step_forward(self, W, v, v_next, acts, scratch) -> None:
        """acts = [i; f; o; g; tanh(c')] after the step; v = [x; 1; h; c]."""
        h = acts.shape[-2] // 5
        a = acts[..., : 4 * h, :]
        np.matmul(W, v[..., : h + 2, :], out=a)
        sigmoid(acts[..., : 3 * h, :])
        tanh(acts[..., 3 * h : 4 * h, :])
        i, f, o, g = (acts[..., k * h : (k + 1) * h, :] for k in range(4))
        tc = acts[..., 4 * h :, :]
        c = v_next[..., h + 2 :, :]
        np.multiply(f, v[..., h + 2 :, :], out=c)
        np.multiply(i, g, out=scratch[0])
        c += scratch[0]
        np.multiply(c, -2.0, out=tc)
        tanh(tc)
        np.multiply(o, tc, out=v_next[..., 2 : h + 2, :])

    def step_backward(self, W_hT, dS, v, v_next, acts, dA, scratch) -> None:
        h = acts.shape[-2] // 5
        t1, t2, t3 = scratch
        i, f, o, g = (acts[..., k * h : (k + 1) * h, :] for k in range(4))
        tc = acts[..., 4 * h :, :]
        di, df, do, dg = (dA[..., k * h : (k + 1) * h, :] for k in range(4))
        dh, dc = dS[..., :h, :], dS[..., h:, :]
        np.multiply(dh, tc, out=do)
        np.multiply(dh, o, out=t1)
        np.multiply(tc, tc, out=t2)
        np.subtract(1.0, t2, out=t2)
        t1 *= t2
        dc += t1  # dc' from the carried c and from h' = o tanh(c')
        np.multiply(dc, g, out=di)
        np.multiply(dc, i, out=dg)
        np.multiply(dc, v[..., h + 2 :, :], out=df)
        dc *= f  # the gradient at the previous c
        gates = acts[..., : 3 * h, :]
        np.multiply(gates, gates, out=t3)
        np.subtract(gates, t3, out=t3)  # sigmoid' = s (1 - s)
        dA[..., : 3 * h, :] *= t3
        np.multiply(g, g, out=t1)
        np.subtract(1.0, t1, out=t1)
        dg *= t1
        np.matmul(W_hT, dA, out=dh)


CELL = LSTM()


class Parameters(cell.Parameters):
    cell = CELL


class Unroll(cell.Unroll):
    cell = CELL


LSTM.Parameters, LSTM.Unroll = Parameters, Unroll
