"""A vanilla RNN in NumPy, with its forward and backward passes written out by hand.

    h_t = tanh(W_xh onehot(x_t) + W_hh h_{t-1} + b_h)        P(y_t = c) = softmax(W_hy h_t + b_y)_c

This is the post's model: one-hot binary input, a tanh state of size H, a two-class softmax.
Only the time loop runs in Python; each step is vectorised over the batch.

The layout is chosen for speed (``benchmarks/bench_train.py`` measures it against PyTorch):
- the batch axis is last, so a step is one small matrix times a wide one, [W_hh | w_x | b]
  times [h_{t-1}; x_t; 1] (H+2 rows by B): the input and the bias ride in the state's product,
  as in the post's cell, which multiplies the concatenated [x_t, h_{t-1}] by one W;
- M independent models sit side by side on a models axis, so the same code trains several
  seeds at once, each on its own data (M = 1 for a single run);
- all parameters live in one flat float64 buffer of shape (M, P), with named views into it,
  so an optimizer updates every parameter in a few whole-buffer operations;
- the arrays an unrolled window needs are allocated once (``Unroll``) and written in place.

Two classes make the softmax a sigmoid: it depends only on d = z_1 - z_0, and
log P(y) = z_y - logsumexp(z_0, z_1) = -logaddexp(0, -s d), with s = +1 for y = 1 and -1 for
y = 0. ``logaddexp`` is that logsumexp, computed stably: a confident wrong answer costs a
large finite loss, never inf or nan, and a confident right one costs 0 (the 0 log 0 side).
P(y=1) = sigmoid(d) = (1 + tanh(d/2)) / 2, which cannot overflow either.

Shapes: x and y are (n, T, M, B) for n windows of T steps (0/1, any dtype); states are (M, H, B).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Parameter names and shapes per model, in their order in the flat buffer.
PARAMETERS = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


def parameter_shapes(state_size: int) -> dict[str, tuple[int, ...]]:
    h = state_size
    return {"W_xh": (h, 2), "W_hh": (h, h), "b_h": (h,), "W_hy": (2, h), "b_y": (2,)}


def parameter_count(state_size: int) -> int:
    return sum(math.prod(shape) for shape in parameter_shapes(state_size).values())


class Parameters:
    """Named views into one flat (M, P) float64 buffer: ``W_hh`` is (M, H, H), and so on.

    Gradients use the same class over a second buffer, so ``grads.flat`` lines up with
    ``params.flat`` entry for entry.
    """

    def __init__(self, flat: np.ndarray, state_size: int) -> None:
        if flat.ndim != 2 or flat.shape[1] != parameter_count(state_size) or flat.dtype != np.float64:
            raise ValueError(f"expected a (models, {parameter_count(state_size)}) float64 buffer")
        self.flat = flat
        self.state_size = state_size
        self.models = flat.shape[0]
        offset = 0
        for name, shape in parameter_shapes(state_size).items():
            size = math.prod(shape)
            view = flat[:, offset : offset + size].reshape(self.models, *shape)
            assert np.shares_memory(view, flat)  # a view, never a copy
            setattr(self, name, view)
            offset += size

    @classmethod
    def zeros(cls, models: int, state_size: int) -> Parameters:
        return cls(np.zeros((models, parameter_count(state_size))), state_size)

    def copy(self) -> Parameters:
        return Parameters(self.flat.copy(), self.state_size)


def init_parameters(state_size: int, seeds: Sequence[int | np.random.SeedSequence]) -> Parameters:
    """One model per seed, initialised as the post's TensorFlow graph was: Glorot-uniform
    weights (the cell's W is the (2 + H) x H matrix [W_xh; W_hh] transposed), zero biases."""
    params = Parameters.zeros(len(seeds), state_size)
    h = state_size
    for m, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        cell_limit = math.sqrt(6 / ((2 + h) + h))
        cell = rng.uniform(-cell_limit, cell_limit, size=(2 + h, h))
        out_limit = math.sqrt(6 / (h + 2))
        out = rng.uniform(-out_limit, out_limit, size=(h, 2))
        params.W_xh[m] = cell[:2].T
        params.W_hh[m] = cell[2:].T
        params.W_hy[m] = out.T
    return params


# --- one step of the recurrence ---------------------------------------------------------------


def step_forward(W: np.ndarray, v: np.ndarray, h_out: np.ndarray, pre: np.ndarray):
    """h = tanh(W v), written into ``h_out``; returns (h, cache).

    v = [h_prev; x_t; 1] stacks the previous state, the input and a constant, as the post's
    cell concatenates them: W = [W_hh | W_xh[:, 1] - W_xh[:, 0] | W_xh[:, 0] + b_h] turns the
    one-hot input and the bias into two more columns of one matrix product (x_t is 0 or 1).
    W is (M, H, H+2), v (M, H+2, B), h_out and the scratch ``pre`` (M, H, B).
    """
    np.matmul(W, v, out=pre)
    np.tanh(pre, out=h_out)
    return h_out, (v, h_out)


def step_backward(W_hh_T: np.ndarray, dh: np.ndarray, cache, dpre_out: np.ndarray, dh_prev_out: np.ndarray):
    """Back through one step: returns (dpre, dh_prev), written into the given arrays.

    dpre = dh * (1 - h^2) is the gradient at the pre-activation, and dh_prev = W_hh^T dpre the
    gradient sent to the previous state. The step's weight gradient is the outer product
    dpre v^T; the caller sums it over a whole window in one matrix product, rather than step
    by step. ``dh_prev_out`` may be ``dh`` itself: dh is read before it is overwritten.
    """
    _, h = cache  # (v, h): v is the caller's, for the window's weight gradient
    np.multiply(h, h, out=dpre_out)
    np.subtract(1.0, dpre_out, out=dpre_out)
    dpre_out *= dh
    np.matmul(W_hh_T, dpre_out, out=dh_prev_out)
    return dpre_out, dh_prev_out


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
    gradient arriving at each state from its own output, (n, T, M, H, B), in ``dh_out``."""
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


# --- unrolling over windows -------------------------------------------------------------------


class Unroll:
    """Forward and backward through up to ``windows`` windows of ``num_steps`` steps each, for
    M models and a batch of B, with every array allocated once.

    Truncated backprop through time is explicit here: the backward pass starts each window with
    no gradient arriving from after it, so no gradient crosses a window border. The state's
    *value* does cross (``reset_state=False``), or is zero at each window (``reset_state=True``).
    Training unrolls one window at a time; several windows in one call run the same cut.
    """

    def __init__(self, models: int, state_size: int, batch_size: int, num_steps: int, windows: int = 1):
        n, t, m, h, b = windows, num_steps, models, state_size, batch_size
        self.shape = (n, t, m, h, b)
        # v[w, t] = [state before step t; x_t; 1] (see step_forward); v[w, T] holds the last state
        self.v = np.zeros((n, t + 1, m, h + 2, b))
        self.v[..., h + 1, :] = 1.0
        self.hs = self.v[..., :h, :]  # the states, (n, T+1, M, H, B); hs[w, 0] starts window w
        self.x = self.v[:, :t, :, h, :]  # the inputs, copied in as floats
        self.y = np.empty((n, t, m, b))
        self.W = np.empty((m, h, h + 2))
        self.pre = np.empty((m, h, b))
        self.z = np.empty((n, t, m, b))
        self.dpre = self.dh_out = None  # allocated by the first backward: evaluation needs none
        self.dh = np.empty((m, h, b))
        self.windows = 0
        self.caches: list[list] = [[None] * t for _ in range(n)]

    @property
    def num_steps(self) -> int:
        return self.shape[1]

    @property
    def final_state(self) -> np.ndarray:
        """The state after the last step of the last window run (a view: copy it to keep it)."""
        return self.hs[self.windows - 1, self.num_steps]

    def states_before(self) -> np.ndarray:
        """The state each step started from, (n, T, M, H, B), under the state protocol."""
        return self.hs[: self.windows, : self.num_steps]

    def forward(
        self,
        params: Parameters,
        x_data: np.ndarray,
        y_data: np.ndarray,
        h0: np.ndarray,
        reset_state: bool = False,
    ) -> np.ndarray:
        """Run the windows in ``x``/``y`` (n, T, M, B), 0/1 of any dtype, from state ``h0``
        (M, H, B); returns each window's mean loss, (n, M)."""
        n, steps = x_data.shape[0], x_data.shape[1]
        if steps != self.num_steps or n > self.shape[0]:
            raise ValueError(f"expected at most {self.shape[0]} windows of {self.num_steps} steps")
        self.windows = n
        # Series are stored as uint8 (8 times smaller); each window is copied in as floats.
        x, y = self.x[:n], self.y[:n]
        np.copyto(x, x_data)
        np.copyto(y, y_data)
        hs, v, W, pre, h = self.hs[:n], self.v[:n], self.W, self.pre, self.shape[3]
        # W_xh onehot(x) + b_h = (W_xh[:, 0] + b_h) + (W_xh[:, 1] - W_xh[:, 0]) x
        W[:, :, :h] = params.W_hh
        np.subtract(params.W_xh[..., 1], params.W_xh[..., 0], out=W[:, :, h])
        np.add(params.W_xh[..., 0], params.b_h, out=W[:, :, h + 1])
        for w in range(n):
            if w == 0:
                hs[0, 0] = h0
            elif reset_state:
                hs[w, 0] = 0.0
            else:
                hs[w, 0] = hs[w - 1, steps]
            caches = self.caches[w]
            for t in range(steps):
                _, caches[t] = step_forward(W, v[w, t], hs[w, t + 1], pre)
        loss, self.output_cache = output_forward(params.W_hy, params.b_y, hs[:, 1:], y, self.z[:n])
        return loss

    def backward(self, params: Parameters, grads: Parameters, input_gradient: bool = False):
        """Gradients of the sum of the window losses into ``grads`` (overwritten), with the cut
        at every window border. Returns (dh0, dx): the gradient with respect to ``h0`` (which
        the first window alone sends), and with ``input_gradient`` the gradient with respect to
        the one-hot inputs, (n, T, M, 2, B), else None."""
        n, steps = self.windows, self.num_steps
        if self.dpre is None:
            self.dpre, self.dh_out = np.empty(self.shape), np.empty(self.shape)
        dh_out = output_backward(self.output_cache, grads, self.dh_out[:n])
        dpre, dh = self.dpre[:n], self.dh
        W_hh_T = params.W_hh.transpose(0, 2, 1)
        for w in range(n):
            # The cut: the last step of a window receives gradient from its own output only.
            dh[...] = dh_out[w, steps - 1]
            caches = self.caches[w]
            for t in range(steps - 1, -1, -1):
                step_backward(W_hh_T, dh, caches[t], dpre[w, t], dh)
                if t:
                    dh += dh_out[w, t - 1]
            if w == 0:
                dh0 = dh.copy()
        # The steps' weight gradients dpre v^T, summed over every step and row in one product,
        # then mapped back from W's three blocks to W_hh, W_xh and b_h.
        h = self.shape[3]
        dW = np.matmul(dpre, self.v[:n, :steps].swapaxes(-1, -2)).sum(axis=(0, 1))
        grads.W_hh[...] = dW[:, :, :h]
        grads.W_xh[..., 1] = dW[:, :, h]
        grads.b_h[...] = dW[:, :, h + 1]
        grads.W_xh[..., 0] = dW[:, :, h + 1] - dW[:, :, h]
        dx = None
        if input_gradient:
            dx = np.matmul(params.W_xh.transpose(0, 2, 1), dpre)  # (n, T, M, 2, B)
        return dh0, dx


def probability(params: Parameters, h: np.ndarray) -> np.ndarray:
    """P(y=1) read from states h (..., M, H, B): sigmoid of the logit difference, (..., M, B)."""
    w = (params.W_hy[:, 1] - params.W_hy[:, 0])[:, None, :]
    bias = (params.b_y[:, 1] - params.b_y[:, 0])[:, None]
    d = np.matmul(w, h)[..., 0, :] + bias
    return 0.5 + 0.5 * np.tanh(0.5 * d)


def step_states(params: Parameters, h: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One step for any leading axes: h (..., M, H, B) and inputs x (..., M, B) -> next states."""
    a = np.matmul(params.W_hh, h)
    a += (params.W_xh[..., 1] - params.W_xh[..., 0])[:, :, None] * x[..., None, :]
    a += (params.W_xh[..., 0] + params.b_h)[:, :, None]
    return np.tanh(a, out=a)
