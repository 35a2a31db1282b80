"""What every cell shares: the flat parameter buffer, the one matrix product per step, the
two-class output layer, and the unrolled windows of truncated backprop.

A cell (``rnn.py``, ``gru.py``, ``lstm.py``) is a pair of step functions in the CS231n style,
``step_forward`` and ``step_backward``, over arrays written in place, plus a table of how the
rows of its one matrix product map to its parameters. Everything else lives here, once.

Layout (chosen for speed; ``benchmarks/bench_train.py`` measures it against PyTorch):
- the batch axis is last, so a step is one small matrix times a wide one;
- M independent models sit side by side on a models axis (several seeds at once);
- all parameters of a model live in one flat float64 row of an (M, P) buffer, with named
  views into it, so an optimizer updates every parameter in a few whole-buffer operations;
- every step's input is the column v = [x_t; 1; state] (the state is h, or [h; c] for the
  LSTM), and all the cell's gates are one product W [x_t; 1; h_{t-1}]: the one-hot input and
  the bias ride in the product as two more columns (x_t is 0 or 1, so W_xh onehot(x) + b =
  (W_xh[:, 1] - W_xh[:, 0]) x + (W_xh[:, 0] + b)), as the post's cell multiplies the
  concatenated [x_t, h_{t-1}] by one W;
- the arrays an unrolled window needs are allocated once (``Unroll``) and written in place.

Parameters, for every cell, in PyTorch's gate order so that its weights map one to one:
W_xh (G H, 2), W_hh (G H, H), b_h (G H), W_hy (2, H), b_y (2), with G = 1 (RNN), 3 (GRU:
r, z, n) or 4 (LSTM: i, f, g, o). PyTorch's second bias (bias_hh) is the same degree of
freedom as b_h for the RNN and the LSTM; for the GRU it sits inside the reset gate's product,
and our GRU has none there (PyTorch's with bias_hh fixed at zero).

Two classes make the softmax a sigmoid: it depends only on d = z_1 - z_0, and
log P(y) = -logaddexp(0, -s d), with s = +1 for y = 1 and -1 for y = 0: a confident wrong
answer costs a large finite loss, never inf or nan. P(y=1) = (1 + tanh(d/2)) / 2. Sigmoid
gates are 1 / (1 + exp(-a)) with the -1 folded into the gate's rows of W, and the gated cells'
tanh is 2 / (1 + exp(-2a)) - 1 with the -2 folded in: NumPy's float64 exp is vectorised where
its tanh is not, and these are the gated cells' costliest lines (an overflow of exp to inf
gives the exact limits 0 and -1).

Shapes: x and y are (n, T, M, B) for n windows of T steps; states (M, S, B), S = H or 2H.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

PARAMETERS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


@dataclass(frozen=True)
class Block:
    """One block of H rows of a cell's matrix product W [x; 1; h]."""

    gate: int  # which gate's rows of the parameters (PyTorch's order) it holds
    inputs: bool  # the block reads the input and the bias
    hidden: bool  # the block reads the previous h
    scale: float = 1.0  # -1 for a sigmoid (see ``sigmoid``), -2 for a tanh (``tanh``) through exp


def sigmoid(minus_a: np.ndarray) -> None:
    """1 / (1 + exp(-a)) in place, given -a (the gate's rows of W carry the minus sign).
    (np.divide, not np.reciprocal: NumPy vectorises the one and not the other.)"""
    np.exp(minus_a, out=minus_a)
    minus_a += 1.0
    np.divide(1.0, minus_a, out=minus_a)


def tanh(minus_2a: np.ndarray) -> None:
    """tanh(a) = 2 / (1 + exp(-2a)) - 1 in place, given -2a: NumPy's float64 exp is vectorised
    and its tanh is not, here about twice as slow. The absolute error stays near 1e-16 (the
    relative error of a tiny tanh(a) grows, which no loss or gradient here feels)."""
    np.exp(minus_2a, out=minus_2a)
    minus_2a += 1.0
    np.divide(2.0, minus_2a, out=minus_2a)
    minus_2a -= 1.0


class Cell:
    """A recurrent cell: its gates, its product's blocks, and its two step functions.

    ``step_forward(W, v, v_next, acts, scratch)`` reads v = [x; 1; state] and writes the next
    state into ``v_next[..., 2:, :]`` and what backward needs into ``acts``.
    ``step_backward(W_hT, dS, v, v_next, acts, dA, scratch)`` turns the gradient dS at the
    state after the step into the gradient at the state before it (in place), and writes the
    gradient at the product's output into ``dA``. Any leading axes ahead of (M, rows, B).
    """

    name: ClassVar[str]
    gates: ClassVar[int]  # gate blocks of the parameters
    blocks: ClassVar[tuple[Block, ...]]  # blocks of the product, in the order the step uses
    state_blocks: ClassVar[int] = 1  # the state is h (1) or [h; c] (2)
    extra_blocks: ClassVar[int] = 0  # blocks kept in ``acts`` beyond the product's
    scratch_blocks: ClassVar[tuple[int, ...]] = ()  # sizes (in blocks of H) of the scratch arrays
    Parameters: ClassVar[type[Parameters]]
    Unroll: ClassVar[type[Unroll]]

    def parameter_shapes(self, state_size: int) -> dict[str, tuple[int, ...]]:
        h, g = state_size, self.gates
        return {"W_xh": (g * h, 2), "W_hh": (g * h, h), "b_h": (g * h,), "W_hy": (2, h), "b_y": (2,)}

    def parameter_count(self, state_size: int) -> int:
        return sum(math.prod(shape) for shape in self.parameter_shapes(state_size).values())

    def rows(self, state_size: int) -> int:
        """Rows of the product W [x; 1; h]."""
        return len(self.blocks) * state_size

    def init_biases(self, params: Parameters, m: int) -> None:
        """Zero biases (the default); a cell may start a gate open instead."""

    def init_parameters(self, state_size: int, seeds: Sequence[int | np.random.SeedSequence]) -> Parameters:
        """One model per seed, as TensorFlow initialised the post's graph: Glorot-uniform
        weights (the cell's kernel is the (2 + H) x (G H) matrix [W_xh; W_hh] transposed),
        zero biases unless the cell says otherwise."""
        params = self.Parameters.zeros(len(seeds), state_size)
        h, g = state_size, self.gates
        for m, seed in enumerate(seeds):
            rng = np.random.default_rng(seed)
            cell_limit = math.sqrt(6 / ((2 + h) + g * h))
            kernel = rng.uniform(-cell_limit, cell_limit, size=(2 + h, g * h))
            out_limit = math.sqrt(6 / (h + 2))
            out = rng.uniform(-out_limit, out_limit, size=(h, 2))
            params.W_xh[m] = kernel[:2].T
            params.W_hh[m] = kernel[2:].T
            params.W_hy[m] = out.T
            self.init_biases(params, m)
        return params

    def fill_weights(self, params: Parameters, W: np.ndarray, W_hT: np.ndarray, W_x: np.ndarray) -> None:
        """The product's matrix W (M, R, H+2), columns [x, 1, h], sigmoid rows negated;
        the transposed h columns before scaling, W_hT (M, H, R), for the backward pass; and the
        unscaled x column W_x (M, 1, R), for the input gradient."""
        h = params.state_size
        for k, block in enumerate(self.blocks):
            rows, gate = slice(k * h, (k + 1) * h), slice(block.gate * h, (block.gate + 1) * h)
            if block.inputs:
                np.subtract(params.W_xh[:, gate, 1], params.W_xh[:, gate, 0], out=W[:, rows, 0])
                np.add(params.W_xh[:, gate, 0], params.b_h[:, gate], out=W[:, rows, 1])
            else:
                W[:, rows, :2] = 0.0
            if block.hidden:
                W[:, rows, 2:] = params.W_hh[:, gate]
            else:
                W[:, rows, 2:] = 0.0
        W_hT[...] = W[:, :, 2:].transpose(0, 2, 1)
        W_x[...] = W[:, None, :, 0]
        for k, block in enumerate(self.blocks):
            if block.scale != 1.0:
                W[:, k * h : (k + 1) * h] *= block.scale

    def store_grads(self, dW: np.ndarray, grads: Parameters) -> None:
        """Map the product's weight gradient dW (M, R, H+2) back to W_xh, W_hh and b_h."""
        h = grads.state_size
        for k, block in enumerate(self.blocks):
            rows, gate = slice(k * h, (k + 1) * h), slice(block.gate * h, (block.gate + 1) * h)
            if block.inputs:
                grads.W_xh[:, gate, 1] = dW[:, rows, 0]
                grads.b_h[:, gate] = dW[:, rows, 1]
                np.subtract(dW[:, rows, 1], dW[:, rows, 0], out=grads.W_xh[:, gate, 0])
            if block.hidden:
                grads.W_hh[:, gate] = dW[:, rows, 2:]

    def weights(self, params: Parameters) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        h, r = params.state_size, self.rows(params.state_size)
        W, W_hT, W_x = (
            np.empty((params.models, r, h + 2)),
            np.empty((params.models, h, r)),
            np.empty((params.models, 1, r)),
        )
        self.fill_weights(params, W, W_hT, W_x)
        return W, W_hT, W_x

    def scratch(self, lead: tuple[int, ...], state_size: int, batch: int) -> tuple[np.ndarray, ...]:
        return tuple(np.empty((*lead, k * state_size, batch)) for k in self.scratch_blocks)

    def acts_rows(self, state_size: int) -> int:
        return (len(self.blocks) + self.extra_blocks) * state_size

    def step_states(self, params: Parameters, state: np.ndarray, x: np.ndarray) -> np.ndarray:
        """One step for any leading axes: states (..., M, S, B) and inputs (..., M, B) -> next
        states. Allocates; for the lag-effect probes, not for training."""
        W, _, _ = self.weights(params)
        h, batch = params.state_size, state.shape[-1]
        lead = np.broadcast_shapes(state.shape[:-2], x.shape[:-1])
        v = np.empty((*lead, 2 + state.shape[-2], batch))
        v[..., 0, :] = x
        v[..., 1, :] = 1.0
        v[..., 2:, :] = state
        v_next = np.empty_like(v)
        acts = np.empty((*lead, self.acts_rows(h), batch))
        self.step_forward(W, v, v_next, acts, self.scratch(lead, h, batch))
        return v_next[..., 2:, :]

    def step_forward(self, W, v, v_next, acts, scratch) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def step_backward(self, W_hT, dS, v, v_next, acts, dA, scratch) -> None:  # pragma: no cover
        raise NotImplementedError


class Parameters:
    """Named views into one flat (M, P) float64 buffer: ``W_hh`` is (M, G H, H), and so on.

    Gradients use the same class over a second buffer, so ``grads.flat`` lines up with
    ``params.flat`` entry for entry. Each cell has its own subclass (``rnn.Parameters``...).
    """

    cell: ClassVar[Cell]

    def __init__(self, flat: np.ndarray, state_size: int) -> None:
        count = self.cell.parameter_count(state_size)
        if flat.ndim != 2 or flat.shape[1] != count or flat.dtype != np.float64:
            raise ValueError(f"expected a (models, {count}) float64 buffer")
        self.flat = flat
        self.state_size = state_size
        self.models = flat.shape[0]
        offset = 0
        for name, shape in self.cell.parameter_shapes(state_size).items():
            size = math.prod(shape)
            view = flat[:, offset : offset + size].reshape(self.models, *shape)
            assert np.shares_memory(view, flat)  # a view, never a copy
            setattr(self, name, view)
            offset += size

    @classmethod
    def zeros(cls, models: int, state_size: int) -> Parameters:
        return cls(np.zeros((models, cls.cell.parameter_count(state_size))), state_size)

    def copy(self) -> Parameters:
        return type(self)(self.flat.copy(), self.state_size)

    @property
    def state_rows(self) -> int:
        """S: the rows of the state the cell carries (H, or 2H for the LSTM's [h; c])."""
        return self.cell.state_blocks * self.state_size


# --- the output layer, for every step of every window at once ----------------------------------


def output_forward(W_hy: np.ndarray, b_y: np.ndarray, h: np.ndarray, y: np.ndarray, z_out: np.ndarray):
    """Mean cross entropy of each window, (n, M), and the cache. ``h`` is (n, T, M, H, B)."""
    w = (W_hy[:, 1] - W_hy[:, 0])[:, None, :]  # (M, 1, H): the logit difference's weights
    bias = (b_y[:, 1] - b_y[:, 0])[:, None]
    z = z_out
    np.matmul(w, h, out=z[..., None, :])  # d = z_1 - z_0, (n, T, M, B)
    z += bias
    # -log P(y) = logaddexp(0, -s d) with s = 2y - 1
    signed = 1.0 - 2.0 * y
    signed *= z
    np.logaddexp(0.0, signed, out=signed)
    loss = signed.mean(axis=(1, 3))
    return loss, (h, y, z, w)


def output_backward(cache, grads: Parameters, dh_out: np.ndarray) -> np.ndarray:
    """Gradient of the sum of window means: fills grads.W_hy and grads.b_y, and returns the
    gradient arriving at each state's h from its own output, (n, T, M, H, B), in ``dh_out``."""
    h, y, z, w = cache
    steps, batch = z.shape[1], z.shape[3]
    # dloss/dd = P(y=1) - y, over the T*B terms of the window's mean
    dz = np.tanh(0.5 * z)
    dz *= 0.5
    dz += 0.5
    dz -= y
    dz *= 1.0 / (steps * batch)
    dw = np.matmul(h, dz[..., None]).sum(axis=(0, 1))[..., 0]  # (M, H)
    grads.W_hy[:, 1] = dw
    grads.W_hy[:, 0] = -dw
    db = dz.sum(axis=(0, 1, 3))
    grads.b_y[:, 1] = db
    grads.b_y[:, 0] = -db
    np.multiply(w.transpose(0, 2, 1), dz[..., None, :], out=dh_out)
    return dh_out


def probability(params: Parameters, state: np.ndarray) -> np.ndarray:
    """P(y=1) read from states (..., M, S, B) (their h rows): the logit difference's sigmoid."""
    w = (params.W_hy[:, 1] - params.W_hy[:, 0])[:, None, :]
    bias = (params.b_y[:, 1] - params.b_y[:, 0])[:, None]
    d = np.matmul(w, state[..., : params.state_size, :])[..., 0, :] + bias
    return 0.5 + 0.5 * np.tanh(0.5 * d)


def step_states(params: Parameters, state: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One step of the params' cell, any leading axes (see ``Cell.step_states``)."""
    return params.cell.step_states(params, state, x)


# --- unrolling over windows -------------------------------------------------------------------


class Unroll:
    """Forward and backward through up to ``windows`` windows of ``num_steps`` steps each, for
    M models and a batch of B, with every array allocated once. Each cell has its subclass.

    Truncated backprop through time is explicit here: the backward pass starts each window with
    no gradient arriving from after it, so no gradient crosses a window border. The state's
    *value* does cross (``reset_state=False``), or is zero at each window (``reset_state=True``).
    Training unrolls one window at a time; evaluation runs several windows per call.
    """

    cell: ClassVar[Cell]

    def __init__(self, models: int, state_size: int, batch_size: int, num_steps: int, windows: int = 1):
        cell = self.cell
        n, t, m, h, b = windows, num_steps, models, state_size, batch_size
        s, r = cell.state_blocks * h, cell.rows(h)
        self.shape = (n, t, m, h, b)
        # v[w, t] = [x_t; 1; state before step t]; v[w, T] holds the last state
        self.v = np.zeros((n, t + 1, m, 2 + s, b))
        self.v[..., 1, :] = 1.0
        self.states = self.v[..., 2:, :]  # (n, T+1, M, S, B); states[w, 0] starts window w
        self.hs = self.v[..., 2 : 2 + h, :]  # their h rows, what the output layer reads
        self.x = self.v[:, :t, :, 0, :]  # the inputs, copied in as floats
        self.acts = np.empty((n, t, m, cell.acts_rows(h), b))
        self.y = np.empty((n, t, m, b))
        self.W, self.W_hT, self.W_x = np.empty((m, r, h + 2)), np.empty((m, h, r)), np.empty((m, 1, r))
        self.z = np.empty((n, t, m, b))
        self.scratch = cell.scratch((m,), h, b)
        self.dA = self.dh_out = None  # allocated by the first backward: evaluation needs none
        self.dS = np.empty((m, s, b))
        self.windows = 0

    @property
    def num_steps(self) -> int:
        return self.shape[1]

    @property
    def final_state(self) -> np.ndarray:
        """The state after the last step of the last window run (a view: copy it to keep it)."""
        return self.states[self.windows - 1, self.num_steps]

    def states_before(self) -> np.ndarray:
        """The state each step started from, (n, T, M, S, B), under the state protocol."""
        return self.states[: self.windows, : self.num_steps]

    def probabilities(self) -> np.ndarray:
        """P(y=1) at every step of the windows just run, (n, T, M, B)."""
        z = self.z[: self.windows]
        return 0.5 + 0.5 * np.tanh(0.5 * z)

    def forward(
        self,
        params: Parameters,
        x_data: np.ndarray,
        y_data: np.ndarray,
        h0: np.ndarray,
        reset_state: bool = False,
    ) -> np.ndarray:
        """Run the windows in ``x``/``y`` (n, T, M, B), 0/1 of any dtype, from state ``h0``
        (M, S, B); returns each window's mean loss, (n, M)."""
        n, steps = x_data.shape[0], x_data.shape[1]
        if steps != self.num_steps or n > self.shape[0]:
            raise ValueError(f"expected at most {self.shape[0]} windows of {self.num_steps} steps")
        if type(params).cell is not self.cell:
            raise ValueError(f"parameters of a {type(params).cell.name} in a {self.cell.name} unroll")
        self.windows = n
        # Series are stored as uint8 (8 times smaller); each window is copied in as floats.
        np.copyto(self.x[:n], x_data)
        np.copyto(self.y[:n], y_data)
        states, v, acts, W, scratch = self.states, self.v, self.acts, self.W, self.scratch
        self.cell.fill_weights(params, W, self.W_hT, self.W_x)
        step = self.cell.step_forward
        for w in range(n):
            if w == 0:
                states[0, 0] = h0
            elif reset_state:
                states[w, 0] = 0.0
            else:
                states[w, 0] = states[w - 1, steps]
            vw, aw = v[w], acts[w]
            for t in range(steps):
                step(W, vw[t], vw[t + 1], aw[t], scratch)
        loss, self.output_cache = output_forward(
            params.W_hy, params.b_y, self.hs[:n, 1:], self.y[:n], self.z[:n]
        )
        return loss

    def backward(self, params: Parameters, grads: Parameters, input_gradient: bool = False):
        """Gradients of the sum of the window losses into ``grads`` (overwritten), with the cut
        at every window border. Returns (dh0, dx): the gradient with respect to ``h0`` (which
        the first window alone sends), (M, S, B), and with ``input_gradient`` the gradient with
        respect to each input x_t taken as a real number, (n, T, M, B), else None."""
        n, steps, h = self.windows, self.num_steps, self.shape[3]
        if self.dA is None:
            n_max, _, m, _, b = self.shape
            self.dA = np.empty((n_max, steps, m, self.cell.rows(h), b))
            self.dh_out = np.empty(self.shape)
        dh_out = output_backward(self.output_cache, grads, self.dh_out[:n])
        dA, dS, v, acts, W_hT, scratch = self.dA, self.dS, self.v, self.acts, self.W_hT, self.scratch
        dh = dS[..., :h, :]
        step = self.cell.step_backward
        for w in range(n):
            # The cut: the last step of a window receives gradient from its own output only.
            dS[...] = 0.0
            dh[...] = dh_out[w, steps - 1]
            vw, aw, dAw = v[w], acts[w], dA[w]
            for t in range(steps - 1, -1, -1):
                step(W_hT, dS, vw[t], vw[t + 1], aw[t], dAw[t], scratch)
                if t:
                    dh += dh_out[w, t - 1]
            if w == 0:
                dh0 = dS.copy()
        # The steps' weight gradients dA v^T, summed over every step and row in one product.
        dW = np.matmul(dA[:n], v[:n, :steps, :, : h + 2].swapaxes(-1, -2)).sum(axis=(0, 1))
        self.cell.store_grads(dW, grads)
        dx = None
        if input_gradient:
            dx = np.matmul(self.W_x, dA[:n])[..., 0, :]  # (n, T, M, B)
        return dh0, dx
