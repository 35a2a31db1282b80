"""The two styles of truncated backprop through time (R2RT, "Styles of Truncated Backpropagation").

- ``tf``, BPTT(T, T): the series is cut into windows of T steps, one update per window; the
  loss at position k of a window is backpropagated k steps (``cell.Unroll``).
- ``true``, BPTT(T, 1): every step's loss is backpropagated exactly T steps (``TrueUnroll``).

How true truncation stays fast: the losses are taken in blocks of K = T consecutive steps, one
update per block (so an epoch makes as many updates as with windows, each from T B loss terms,
and the styles differ only in how far each loss reaches back). The K losses of a block are K
chains of T steps, chain j ending at the block's j-th step. They are stacked on a leading axis
and walked backward together: at backward step i, chain j is at time i + j, so each step is one
call per operation over (K, M, ., B) arrays, a contiguous slice of the forward's caches. The
backward work grows T-fold (T chains of T steps per block instead of one of T), the number of
NumPy calls only about 2-fold. Updating after every step instead would make K times as many
optimizer updates and Python-level steps for the same losses.

With the state carried, the block's forward runs once along the row over T - 1 + K steps,
starting T - 1 steps before the block from the carried state (those steps are re-run with the
current weights, so the backward pass reads the weights it differentiates). With the state
reset, every chain starts from a zero state T - 1 steps before its loss: the K chains run
forward stacked too, each on its own T inputs. Either way a row's first T - 1 steps serve only
as the first chains' start; their losses are not trained on.
"""

from __future__ import annotations

import numpy as np

from .cell import Cell, Parameters, output_backward, output_forward


class TrueUnroll:
    """BPTT(T, 1) over one block of K loss positions, for M models and a batch of B.

    ``forward(params, x, y, h0)``: x is the block's T - 1 + K inputs (L, M, B), y the K targets
    of its last K steps (K, M, B), h0 (M, S, B) the state before its first step (ignored with a
    reset state). Returns the block's mean loss, (M,).
    """

    def __init__(
        self,
        cell: Cell,
        models: int,
        state_size: int,
        batch_size: int,
        num_steps: int,
        block: int,
        reset_state: bool,
    ):
        t, k, m, h, b = num_steps, block, models, state_size, batch_size
        s, r = cell.state_blocks * h, cell.rows(h)
        self.cell, self.reset_state = cell, reset_state
        self.shape = (t, k, m, h, b)
        self.length = t - 1 + k
        if reset_state:  # v[i, j]: chain j before its step i
            self.v = np.zeros((t + 1, k, m, 2 + s, b))
            self.acts = np.empty((t, k, m, cell.acts_rows(h), b))
        else:  # v[t]: the row before step t of the block
            self.v = np.zeros((self.length + 1, m, 2 + s, b))
            self.acts = np.empty((self.length, m, cell.acts_rows(h), b))
        self.v[..., 1, :] = 1.0
        self.y = np.empty((1, k, m, b))
        self.z = np.empty((1, k, m, b))
        self.W, self.W_hT, self.W_x = np.empty((m, r, h + 2)), np.empty((m, h, r)), np.empty((m, 1, r))
        self.scratch_row = cell.scratch((m,), h, b)
        self.scratch_chains = cell.scratch((k, m), h, b)
        self.dA = self.dh_out = None
        self.dS = np.empty((k, m, s, b))

    def forward(
        self,
        params: Parameters,
        x: np.ndarray,
        y: np.ndarray,
        h0: np.ndarray | None,
        force: tuple[int, float] | None = None,
    ) -> np.ndarray:
        """``force=(i, value)`` (reset state only): every chain's input at its step i is
        ``value`` instead, the probe a lag effect needs."""
        t, k, _, h, _ = self.shape
        if x.shape[0] != self.length or y.shape[0] != k:
            raise ValueError(f"expected {self.length} inputs and {k} targets")
        cell, v, acts, W = self.cell, self.v, self.acts, self.W
        cell.fill_weights(params, W, self.W_hT, self.W_x)
        np.copyto(self.y[0], y)
        step = cell.step_forward
        if self.reset_state:
            v[0, ..., 2:, :] = 0.0
            for i in range(t):
                np.copyto(v[i, ..., 0, :], x[i : i + k])  # chain j's input at its step i: x[i + j]
                if force is not None and force[0] == i:
                    v[i, ..., 0, :] = force[1]
                step(W, v[i], v[i + 1], acts[i], self.scratch_chains)
            h_out = v[t, ..., 2 : 2 + h, :]
        else:
            np.copyto(v[: self.length, ..., 0, :], x)
            v[0, ..., 2:, :] = h0
            for i in range(self.length):
                step(W, v[i], v[i + 1], acts[i], self.scratch_row)
            h_out = v[t : t + k, ..., 2 : 2 + h, :]
        loss, self.output_cache = output_forward(params.W_hy, params.b_y, h_out[None], self.y, self.z)
        return loss[0]

    @property
    def next_state(self) -> np.ndarray:
        """With the state carried: the state K steps on, where the next block starts (a view)."""
        return self.v[self.shape[1], ..., 2:, :]

    def probabilities(self) -> np.ndarray:
        """P(y=1) at the block's K loss positions, (K, M, B)."""
        return 0.5 + 0.5 * np.tanh(0.5 * self.z[0])

    def _caches(self, i: int):
        """Chain j's step i, for every j at once: (v before, v after, acts), each (K, M, ., B)."""
        k = self.shape[1]
        if self.reset_state:
            return self.v[i], self.v[i + 1], self.acts[i]
        return self.v[i : i + k], self.v[i + 1 : i + 1 + k], self.acts[i : i + k]

    def backward(self, params: Parameters, grads: Parameters) -> None:
        """Gradients of the block's mean loss into ``grads`` (overwritten): each loss reaches
        exactly T steps back, and no further."""
        t, k, m, h, b = self.shape
        if self.dA is None:
            self.dA = np.empty((t, k, m, self.cell.rows(h), b))
            self.dh_out = np.empty((1, k, m, h, b))
        dh_out = output_backward(self.output_cache, grads, self.dh_out)
        dS, dA, step = self.dS, self.dA, self.cell.step_backward
        dS[...] = 0.0
        dS[..., :h, :] = dh_out[0]
        dW = np.zeros_like(self.W)
        for i in range(t - 1, -1, -1):
            v, v_next, acts = self._caches(i)
            step(self.W_hT, dS, v, v_next, acts, dA[i], self.scratch_chains)
            dW += np.matmul(dA[i], v[..., : h + 2, :].swapaxes(-1, -2)).sum(axis=0)
        self.cell.store_grads(dW, grads)
