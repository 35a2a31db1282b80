"""What a trained model (any cell) does on a fresh held-out series: its loss, and the lags it uses.

Both run under the training's state protocol: the state carried along each row of the batch,
or zeroed at the start of every window (``reset_state``).

Lag effects: for a rule lag L, the average change in the model's P(y_t = 1) when x[t-L] flips
from 0 to 1, the rest of the series as it is. Only targets whose x[t-L] reaches y_t through
the model count: t >= L within its row with a carried state, and t - L inside the same window
with a reset one (a lag >= T then has no targets, and its effect is None).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import TrainingError
from .learners import Parameters, probability, step_states, unroll_for
from .learners.truncation import TrueUnroll

# Lag effects are measured on at least about this many (position, row) targets per lag, in
# blocks spread evenly over the series: a standard error near 1e-3 at a bounded cost.
EFFECT_TARGETS = 100_000
_BLOCK_STEPS = 256  # steps per block of the held-out pass
_CHUNK_TARGETS = 64  # target positions per batch of the lag-effect recomputation


def arrange(series: np.ndarray, batch_size: int, num_steps: int) -> np.ndarray:
    """Series (M, N) -> windows (W, T, M, B), same dtype: B contiguous rows of N // B steps,
    each cut into W = (N // B) // T windows; steps left over at the end of a row are dropped."""
    models, length = series.shape
    row = length // batch_size
    windows = row // num_steps
    rows = series[:, : batch_size * row].reshape(models, batch_size, row)[:, :, : windows * num_steps]
    rows = rows.reshape(models, batch_size, windows, num_steps)
    return np.ascontiguousarray(rows.transpose(2, 3, 0, 1))


def evaluate(
    params: Parameters,
    x: np.ndarray,
    y: np.ndarray,
    num_steps: int,
    reset_state: bool,
    lags: Sequence[int] = (),
    truncation: str = "tf",
) -> tuple[np.ndarray, dict[int, np.ndarray | None]]:
    """Held-out mean cross entropy per model, (M,), and each lag's mean effect per model.

    ``x`` and ``y`` are arranged windows (W, T, M, B), see ``arrange``. With the state carried
    both truncation styles predict the same way (from the state carried along the row); with
    ``truncation="true"`` and a reset state every prediction starts from a zero state T - 1
    steps back (``evaluate_chains``).
    """
    if truncation == "true" and reset_state:
        return evaluate_chains(params, x, y, lags)
    windows, steps, models, batch = x.shape
    depth = max(lags, default=0)
    # A block holds at least ``depth`` steps, so the targets of a block reach back at most
    # into the block before it, whose last ``depth`` states are kept as a tail.
    per_block = min(windows, max(1, -(-max(_BLOCK_STEPS, depth) // steps)))  # no more than there are
    unroll = unroll_for(params, batch, steps, per_block)
    state = np.zeros((models, params.state_rows, batch))
    blocks = -(-windows // per_block)
    stride = max(1, -(-windows * steps * batch // EFFECT_TARGETS))  # measure every stride-th block
    tail_states = tail_x = None
    total = np.zeros(models)
    sums = {lag: np.zeros(models) for lag in lags}
    counts = dict.fromkeys(lags, 0)
    for block in range(blocks):
        first = block * per_block
        xb, yb = x[first : first + per_block], y[first : first + per_block]
        total += unroll.forward(params, xb, yb, state, reset_state).sum(axis=0)
        if not reset_state:
            state = unroll.final_state.copy()
        measure, next_measured = block % stride == 0, (block + 1) % stride == 0
        if not lags or not (measure or (next_measured and not reset_state)):
            continue
        n = xb.shape[0]
        before = unroll.states_before().reshape(n * steps, models, params.state_rows, batch)
        inputs = xb.reshape(n * steps, models, batch)
        if measure:
            states, offset = before, 0
            if tail_states is not None:
                states, inputs_all = np.concatenate([tail_states, before]), np.concatenate([tail_x, inputs])
                offset = len(tail_states)
            else:
                inputs_all = inputs
            for lag in lags:
                _add_effects(
                    params, states, inputs_all, offset, first * steps, steps, reset_state, lag, sums, counts
                )
        tail_states = tail_x = None
        if next_measured and not reset_state and depth:
            tail_states, tail_x = before[len(before) - depth :].copy(), inputs[len(inputs) - depth :].copy()
    loss = total / windows
    effects = {lag: (sums[lag] / counts[lag] if counts[lag] else None) for lag in lags}
    return loss, effects


def _add_effects(params, states, inputs, offset, start, steps, reset_state, lag, sums, counts) -> None:
    """Add P(y_t=1 | x[t-L]=1) - P(y_t=1 | x[t-L]=0) over this block's eligible targets t."""
    positions = np.arange(len(states) - offset)  # block positions; t = start + position in the row
    if reset_state:
        eligible = positions[positions % steps >= lag]  # x[t-L] in the same window as y_t
    else:
        eligible = positions[start + positions >= lag]  # x[t-L] in the row
    for chunk in range(0, len(eligible), _CHUNK_TARGETS):
        origin = offset + eligible[chunk : chunk + _CHUNK_TARGETS] - lag  # where x[t-L] sits
        h = np.stack([states[origin]] * 2)  # (2, E, M, H, B): x[t-L] forced to 0, then to 1
        first = np.stack([np.zeros_like(inputs[origin]), np.ones_like(inputs[origin])])
        h = step_states(params, h, first)
        for k in range(1, lag + 1):
            h = step_states(params, h, inputs[origin + k][None])
        p = probability(params, h)  # (2, E, M, B)
        sums[lag] += (p[1] - p[0]).sum(axis=(0, 2))
        counts[lag] += p.shape[1] * p.shape[3]


# The largest and smallest P(y=1) kept: 1 - 2^-53 is the float64 next below 1, and the sigmoid
# (1 + tanh(d/2)) / 2 resolves no finer near 0. A saturated prediction stays inside (0, 1), so a
# confident wrong answer costs a large finite loss (at most 53 log 2 = 36.7 nats), never inf.
_EDGE = 2.0**-53


def predict(
    params: Parameters,
    x: np.ndarray,
    y: np.ndarray,
    num_steps: int,
    reset_state: bool,
    length: int,
    truncation: str = "tf",
) -> np.ndarray:
    """The model's P(y=1) at every held-out step, (M, length), for any cell, aligned with the
    series that ``arrange`` cut into ``x`` and ``y`` (W, T, M, B): row b of the batch holds steps
    b * (length // B) onward, its state starting at zero. Steps that ``arrange`` dropped (the end
    of each row, and of the series) are NaN; so are the first T - 1 steps of each row with true
    truncation and a reset state, where no chain of T steps fits. A prediction that is not a
    number (parameters that stopped being finite) is a TrainingError."""
    windows, steps, models, batch = x.shape
    row = length // batch
    out = np.full((models, batch, row), np.nan)
    if truncation == "true" and reset_state:
        _predict_chains(params, x, y, out)
    else:
        per_block = min(windows, max(1, -(-_BLOCK_STEPS // steps)))  # no more than there are
        unroll = unroll_for(params, batch, steps, per_block)
        state = np.zeros((models, params.state_rows, batch))
        for first in range(0, windows, per_block):
            xb, yb = x[first : first + per_block], y[first : first + per_block]
            unroll.forward(params, xb, yb, state, reset_state)
            if not reset_state:
                state = unroll.final_state.copy()
            n = xb.shape[0]
            p = unroll.probabilities()  # (n, T, M, B)
            _check_finite(p)
            out[:, :, first * steps : (first + n) * steps] = p.reshape(n * steps, models, batch).transpose(
                1, 2, 0
            )
    np.clip(out, _EDGE, 1 - _EDGE, out=out)
    full = np.full((models, length), np.nan)
    full[:, : batch * row] = out.reshape(models, batch * row)
    return full


def _check_finite(p: np.ndarray) -> None:
    """A prediction that is not a number comes from parameters that stopped being finite."""
    if np.isnan(p).any():
        raise TrainingError("the held-out loss is not finite; try a smaller --learning-rate or --clip-norm 1")


def _predict_chains(params: Parameters, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> None:
    """True truncation with a reset state: P(y_t=1) from a chain of T steps that starts at zero
    over x[t-T+1] ... x[t], for every t >= T - 1 of each row, into ``out`` (M, B, row)."""
    windows, steps, models, batch = x.shape
    xs, ys = x.reshape(windows * steps, models, batch), y.reshape(windows * steps, models, batch)
    targets = len(xs) - (steps - 1)
    if targets <= 0:
        return
    block = max(1, min(targets, _BLOCK_STEPS // steps or 1))
    chains = {}
    for start in range(0, targets, block):
        k = min(block, targets - start)
        if k not in chains:  # the last block may be shorter
            chains[k] = TrueUnroll(params.cell, models, params.state_size, batch, steps, k, reset_state=True)
        unroll = chains[k]
        unroll.forward(
            params, xs[start : start + steps - 1 + k], ys[start + steps - 1 : start + steps - 1 + k], None
        )
        p = unroll.probabilities()  # (K, M, B)
        _check_finite(p)
        out[:, :, start + steps - 1 : start + steps - 1 + k] = p.transpose(1, 2, 0)


def evaluate_chains(
    params: Parameters, x: np.ndarray, y: np.ndarray, lags: Sequence[int] = ()
) -> tuple[np.ndarray, dict[int, np.ndarray | None]]:
    """``evaluate`` for true truncation with a reset state: each prediction of y_t runs its own
    chain of T steps from a zero state, over x[t-T+1] ... x[t], so it sees exactly the lags
    <= T-1. The first T - 1 steps of a row have no such chain and are left out. A lag's effect
    flips x[t-L] inside the chain (None for L >= T, which no chain reaches)."""
    windows, steps, models, batch = x.shape
    xs, ys = x.reshape(windows * steps, models, batch), y.reshape(windows * steps, models, batch)
    targets = len(xs) - (steps - 1)
    block = max(1, min(targets, _BLOCK_STEPS // steps or 1))
    chains = TrueUnroll(params.cell, models, params.state_size, batch, steps, block, reset_state=True)
    blocks = targets // block
    stride = max(1, -(-blocks * block * batch // EFFECT_TARGETS))
    total = np.zeros(models)
    visible = [lag for lag in lags if lag <= steps - 1]
    sums = {lag: np.zeros(models) for lag in visible}
    counts = dict.fromkeys(visible, 0)
    for b in range(blocks):
        start = b * block
        xb, yb = xs[start : start + steps - 1 + block], ys[start + steps - 1 : start + steps - 1 + block]
        total += chains.forward(params, xb, yb, None) * block
        if b % stride:
            continue
        for lag in visible:
            p = []
            for value in (0.0, 1.0):
                chains.forward(params, xb, yb, None, force=(steps - 1 - lag, value))
                p.append(chains.probabilities())
            sums[lag] += (p[1] - p[0]).sum(axis=(0, 2))
            counts[lag] += block * batch
    loss = total / (blocks * block)
    effects = {lag: (sums[lag] / counts[lag] if counts.get(lag) else None) for lag in lags}
    return loss, effects
