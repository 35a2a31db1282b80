"""The vanilla RNN, the post's model, with its forward and backward steps written out by hand.

    h_t = tanh(W_xh onehot(x_t) + W_hh h_{t-1} + b_h)        P(y_t = c) = softmax(W_hy h_t + b_y)_c

One-hot binary input, a tanh state of size H, a two-class softmax (see ``cell.py`` for the
layout shared by every cell: the product W [x_t; 1; h_{t-1}], the models axis, the flat buffer).
"""

from __future__ import annotations

import numpy as np

from . import cell
from .cell import PARAMETERS, Block, probability, step_states

__all__ = [
    "PARAMETERS",
    "RNN",
    "Parameters",
    "Unroll",
    "init_parameters",
    "parameter_count",
    "probability",
    "step_states",
]


class RNN(cell.Cell):
    name = "rnn"
    gates = 1
    blocks = (Block(0, inputs=True, hidden=True),)

    def step_forward(self, W, v, v_next, acts, scratch) -> None:
        """h = tanh(W v), into the next state; the pre-activation is kept in ``acts``."""
        np.matmul(W, v, out=acts)
        np.tanh(acts, out=v_next[..., 2:, :])

    def step_backward(self, W_hT, dS, v, v_next, acts, dA, scratch) -> None:
        """dA = dh (1 - h^2) at the pre-activation, and dh_prev = W_hh^T dA, into dS."""
        h = v_next[..., 2:, :]
        np.multiply(h, h, out=dA)
        np.subtract(1.0, dA, out=dA)
        dA *= dS
        np.matmul(W_hT, dA, out=dS)


CELL = RNN()


class Parameters(cell.Parameters):
    cell = CELL


class Unroll(cell.Unroll):
    cell = CELL


RNN.Parameters, RNN.Unroll = Parameters, Unroll


def parameter_shapes(state_size: int) -> dict[str, tuple[int, ...]]:
    return CELL.parameter_shapes(state_size)


def parameter_count(state_size: int) -> int:
    return CELL.parameter_count(state_size)


def init_parameters(state_size: int, seeds) -> Parameters:
    """One model per seed: Glorot-uniform weights as the post's TensorFlow graph, zero biases."""
    return CELL.init_parameters(state_size, seeds)
