"""The training loop ``train`` runs (and the benchmark times): M models, one update per window
(``tf`` truncation) or per block of T losses (``true``), any cell, any optimizer.

Each epoch walks a fresh series cut into B contiguous rows (one per batch entry). The state is
carried along each row (zero at its start), or zeroed at every window with ``reset_state``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..errors import TrainingError
from ..evaluation import arrange
from ..settings import TrainSettings
from . import get_cell
from .optimizers import clip_by_global_norm, make_optimizer
from .truncation import TrueUnroll

HISTORY_EVERY = 100  # updates per history point, as the post printed its averages

Progress = Callable[[int, int, int, float], None]  # epoch, window, windows per epoch, running loss


class Trainer:
    """The training state of M models (one per seed): parameters, optimizer, and the arrays a
    window needs. ``run_epoch`` is the loop ``train`` runs, and what the benchmark times."""

    def __init__(self, settings: TrainSettings, seeds: Sequence[int | np.random.SeedSequence]) -> None:
        self.settings = settings
        self.cell = cell = get_cell(settings.cell)
        models, h, b, t = len(seeds), settings.state_size, settings.batch_size, settings.num_steps
        self.params = cell.init_parameters(h, seeds)
        self.grads = cell.Parameters.zeros(models, h)
        self.optimizer = make_optimizer(settings.optimizer, self.params.flat.shape, settings.learning_rate)
        if settings.truncation == "true":
            self.unroll = TrueUnroll(cell, models, h, b, t, t, settings.reset_state)
        else:
            self.unroll = cell.Unroll(models, h, b, t)
        self.state = np.zeros((models, cell.state_blocks * h, b))
        self._zeros = np.zeros_like(self.state)

    def arrange(self, series: np.ndarray) -> np.ndarray:
        """Series (M, N) as the epoch walks them: windows (W, T, M, B) for ``tf``, the rows
        step by step (N // B, M, B) for ``true``."""
        s = self.settings
        if s.truncation == "true":
            return arrange(series, s.batch_size, 1)[:, 0]
        return arrange(series, s.batch_size, s.num_steps)

    def updates(self, x: np.ndarray) -> int:
        """Updates an epoch over the arranged ``x`` makes."""
        t = self.settings.num_steps
        return (len(x) - (t - 1)) // t if self.settings.truncation == "true" else len(x)

    def forward(self, x: np.ndarray, y: np.ndarray, w: int) -> np.ndarray:
        """The loss of update w's window (or block), (M,), from the current state."""
        s = self.settings
        h0 = self._zeros if s.reset_state else self.state
        if s.truncation == "true":
            t = s.num_steps
            start = w * t
            return self.unroll.forward(
                self.params, x[start : start + 2 * t - 1], y[start + t - 1 : start + 2 * t - 1], h0
            )
        return self.unroll.forward(self.params, x[w : w + 1], y[w : w + 1], h0)[0]

    def run_epoch(self, x: np.ndarray, y: np.ndarray, epoch: int = 1, progress: Progress | None = None):
        """One update per window (or block) of the arranged series; returns the history points."""
        s, unroll, params, grads = self.settings, self.unroll, self.params, self.grads
        self.state[...] = 0.0
        history = []
        running, count = np.zeros(len(self.state)), 0
        windows = self.updates(x)
        carried = not s.reset_state
        true = s.truncation == "true"
        for w in range(windows):
            loss = self.forward(x, y, w)
            if not np.isfinite(loss).all():
                self._diverged(epoch, w + 1, loss)
            # Truncation: backward stops T steps back (at the window's first step, for tf).
            # The gradient with respect to the state it started from is dropped here.
            unroll.backward(params, grads)
            if s.clip_norm is not None:
                clip_by_global_norm(grads.flat, s.clip_norm)
            self.optimizer.step(params.flat, grads.flat)
            if carried:
                self.state[...] = unroll.next_state if true else unroll.final_state
            running += loss
            count += 1
            if count == HISTORY_EVERY or w == windows - 1:
                history.append((epoch, w + 1, running / count))
                running, count = np.zeros(len(self.state)), 0
                if progress is not None:
                    progress(epoch, w + 1, windows, float(history[-1][2].mean()))
        if not np.isfinite(params.flat).all():
            self._diverged(epoch, windows, None)
        return history

    def _diverged(self, epoch: int, window: int, loss) -> None:
        what = "the parameters" if loss is None else f"the loss ({', '.join(f'{v:g}' for v in loss)})"
        raise TrainingError(
            f"training diverged at epoch {epoch}, window {window}: {what} stopped being finite; "
            f"try a smaller --learning-rate than {self.settings.learning_rate:g}, or --clip-norm 1"
        )
