"""A GRU cell (Cho et al. 2014, in PyTorch's form), forward and backward written out by hand.

    r = sigmoid(W_ir x + b_r + W_hr h)          z = sigmoid(W_iz x + b_z + W_hz h)
    n = tanh(W_in x + b_n + r * (W_hn h))       h' = (1 - z) n + z h

Parameters in PyTorch's gate order (r, z, n); its bias_hh corresponds to none here (fixed at 0).
The step is one product of four blocks of H rows, W [x; 1; h] = [a_r; a_z; W_in x + b_n; W_hn h]:
the reset gate multiplies W_hn h alone, so that block cannot share the input's rows.
"""

from __future__ import annotations

import numpy as np

from . import cell
from .cell import Block, sigmoid, tanh

__all__ = ["GRU", "Parameters", "Unroll"]


class GRU(cell.Cell):
    name = "gru"
    gates = 3
    blocks = (
        Block(0, inputs=True, hidden=True, scale=-1.0),  # r
        Block(1, inputs=True, hidden=True, scale=-1.0),  # z
        Block(2, inputs=True, hidden=False, scale=-2.0),  # W_in x + b_n, then n itself
        Block(2, inputs=False, hidden=True, scale=-2.0),  # W_hn h (times -2, see ``tanh``)
    )
    scratch_blocks = (1, 1, 2)

    def step_forward(self, W, v, v_next, acts, scratch) -> None:
        """acts = [r; z; n; -2 W_hn h] after the step."""
        h = acts.shape[-2] // 4
        t1 = scratch[0]
        np.matmul(W, v, out=acts)
        sigmoid(acts[..., : 2 * h, :])
        r, z, n, hn = (
            acts[..., :h, :],
            acts[..., h : 2 * h, :],
            acts[..., 2 * h : 3 * h, :],
            acts[..., 3 * h :, :],
        )
        np.multiply(r, hn, out=t1)
        n += t1  # -2 (W_in x + b_n + r W_hn h)
        tanh(n)
        h_new = v_next[..., 2:, :]
        np.subtract(v[..., 2:, :], n, out=h_new)  # h' = n + z (h - n)
        h_new *= z
        h_new += n

    def step_backward(self, W_hT, dS, v, v_next, acts, dA, scratch) -> None:
        h = acts.shape[-2] // 4
        t1, t2, t3 = scratch
        r, z, n, hn = (
            acts[..., :h, :],
            acts[..., h : 2 * h, :],
            acts[..., 2 * h : 3 * h, :],
            acts[..., 3 * h :, :],
        )
        dr, dz, dan, dhn = (
            dA[..., :h, :],
            dA[..., h : 2 * h, :],
            dA[..., 2 * h : 3 * h, :],
            dA[..., 3 * h :, :],
        )
        np.subtract(v[..., 2:, :], n, out=t1)
        np.multiply(dS, t1, out=dz)  # dh'/dz = h - n
        np.multiply(dS, z, out=t2)  # the direct path h -> h', kept for the end
        direct = t2
        dn = t3[..., :h, :]
        np.subtract(dS, direct, out=dn)  # dn = dh' (1 - z)
        np.multiply(n, n, out=t1)
        np.subtract(1.0, t1, out=t1)
        np.multiply(dn, t1, out=dan)  # through tanh: also the gradient at W_in x + b_n
        np.multiply(dan, r, out=dhn)
        np.multiply(dan, hn, out=dr)
        dr *= -0.5  # hn holds -2 W_hn h
        rz = acts[..., : 2 * h, :]
        np.multiply(rz, rz, out=t3)
        np.subtract(rz, t3, out=t3)  # sigmoid' = s (1 - s)
        dA[..., : 2 * h, :] *= t3
        np.matmul(W_hT, dA, out=dS)
        dS += direct


CELL = GRU()


class Parameters(cell.Parameters):
    cell = CELL


class Unroll(cell.Unroll):
    cell = CELL


GRU.Parameters, GRU.Unroll = Parameters, Unroll
