"""Training a learner (the RNN, a GRU or an LSTM: ``learners/``) with truncated backprop, as the
post did, and reading the result against the exact theory.

Each epoch draws a fresh series of N steps, cuts it into B contiguous rows (one per batch
entry) and walks them in windows of T steps. Each window is one update: forward from the
state, backward with the gradient cut at the window's first step, then the optimizer. The
state is carried from window to window within an epoch (zero at its start), or zeroed at
every window with ``reset_state``. The reported loss is the cross entropy on a fresh held-out
series, under the same state protocol, not the training average.

Beside it: the subset of rule lags whose exact value lies nearest, the truncation bound (the
lags <= T-1), and the average effect of each rule lag on the model's P(y=1). With a reset
state these are the exact window optima, (1/T) sum_k H(Y | X_{S, lags <= k}); with a carried
state the state can hold older inputs, so the plain H(Y | X_S) is the reference and the
truncation "bound" is none. With true truncation (``truncation="true"``, BPTT(T, 1)) and a
reset state every prediction sees exactly the lags <= T-1, and the references are
H(Y | X_{S, lags <= T-1}); the loop itself is ``learners.loop.Trainer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction

import numpy as np

from . import render
from .errors import SettingError, TrainingError
from .evaluation import arrange, evaluate
from .learners.loop import HISTORY_EVERY, Progress, Trainer
from .process import EchoProcess
from .rules import format_lags
from .sampler import sample_series
from .settings import TrainSettings, whole
from .value import ExactValue

__all__ = ["HISTORY_EVERY", "Progress", "TrainResult", "Trainer", "train", "train_seeds"]


@dataclass(frozen=True)
class HistoryPoint:
    """The mean training loss of the windows since the previous point."""

    epoch: int
    window: int
    train_loss: float


@dataclass(frozen=True)
class LagEffect:
    """A rule lag's exact average effect on P(y=1), and the trained model's measured one
    (None when no held-out target reaches back that far under the state protocol)."""

    lag: int
    exact: Fraction
    measured: float | None


@dataclass(frozen=True)
class SubsetValue:
    """A learned subset and its exact reference value (a window optimum under reset_state)."""

    learned: tuple[int, ...]
    cross_entropy: ExactValue


@dataclass(frozen=True)
class TrainResult:
    """A trained model's held-out loss, read against the exact theory."""

    process: EchoProcess
    settings: TrainSettings
    final_loss: float
    nearest: SubsetValue
    truncation_bound: SubsetValue
    lag_effects: tuple[LagEffect, ...]
    history: tuple[HistoryPoint, ...]
    references: tuple[SubsetValue, ...] = field(repr=False)  # every subset's reference value

    @property
    def bound_is_exact(self) -> bool:
        """The truncation bound is exact theory only with the state reset at every window."""
        return self.settings.reset_state

    def to_dict(self) -> dict:
        """The JSON shape of ``echo-theory train --format json``."""
        return {
            "process": self.process.to_dict(),
            "settings": self.settings.to_dict(),
            "final_loss": self.final_loss,
            "nearest": {
                "learned": list(self.nearest.learned),
                "cross_entropy": self.nearest.cross_entropy.value,
            },
            "truncation_bound": {
                "learned": list(self.truncation_bound.learned),
                "cross_entropy": self.truncation_bound.cross_entropy.value,
                "exact": self.bound_is_exact,
            },
            "lag_effects": [
                {"lag": e.lag, "exact": float(e.exact), "measured": e.measured} for e in self.lag_effects
            ],
            "history": [asdict(point) for point in self.history],
        }

    def to_text(self) -> str:
        s = self.settings
        protocol = "reset at every window" if s.reset_state else "carried across windows"
        cut = f"windows of {s.num_steps} steps"
        if s.truncation == "true":
            protocol = "reset T steps before every loss" if s.reset_state else "carried along the rows"
            cut = f"true truncation: every loss backpropagated {s.num_steps} steps"
        clip = f", gradient norm clipped to {s.clip_norm:g}" if s.clip_norm else ""
        epochs = f"{s.epochs} epoch{'s' if s.epochs > 1 else ''}"
        reference = "window optimum" if s.reset_state else "H(Y | X_S)"
        bound = "exact" if s.reset_state else "not a bound: the carried state can hold older inputs"
        lines = [
            self.process.describe(),
            f"{_CELL_LABELS[s.cell]}: state {s.state_size}, {cut}, state {protocol}; batch "
            f"{s.batch_size}, {epochs} of {s.series_length:,} steps; {s.optimizer} lr {s.learning_rate:g}"
            f"{clip}; seed {s.seed}",
            "",
        ]
        rows = [
            ["held-out loss", "", _loss(self.final_loss), ""],
            [
                "nearest subset",
                format_lags(self.nearest.learned),
                render.fixed(self.nearest.cross_entropy.value, 4),
                reference,
            ],
            [
                "truncation bound",
                format_lags(self.truncation_bound.learned),
                render.fixed(self.truncation_bound.cross_entropy.value, 4),
                f"lags <= {s.num_steps - 1}; {bound}",
            ],
        ]
        lines.append(render.text_table(["", "learned", "nats", "note"], rows, [False, False, True, False]))
        effects = [
            [str(e.lag), f"{float(e.exact):+.4f}", "none" if e.measured is None else f"{e.measured:+.4f}"]
            for e in self.lag_effects
        ]
        lines.append("effect of x[t-lag] = 1 on P(y=1), on average")
        lines.append(render.text_table(["lag", "exact", "measured"], effects, [True, True, True]))
        return "\n".join(lines)


_CELL_LABELS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


def _loss(value: float) -> str:
    """Four decimals; a diverging but still finite loss in scientific notation."""
    return render.fixed(value, 4) if abs(value) < 1e6 else f"{value:.4g}"


def _seed_sequences(seed: int, epochs: int) -> tuple[np.random.SeedSequence, ...]:
    """Independent streams from one seed: the initial weights, the held-out series, then one
    series per epoch. Each is spawned by index, so it does not depend on the number of epochs."""
    return tuple(np.random.SeedSequence(seed).spawn(2 + epochs))


def _sample(
    process: EchoProcess, settings: TrainSettings, streams: Sequence[np.random.SeedSequence], layout=None
):
    """The arranged windows (W, T, M, B) of x and y, one series per model (or the layout
    ``layout(series)`` gives, the trainer's)."""
    xs, ys = zip(*(sample_series(process, settings.series_length, stream) for stream in streams), strict=True)
    if layout is None:
        return (
            arrange(np.stack(xs), settings.batch_size, settings.num_steps),
            arrange(np.stack(ys), settings.batch_size, settings.num_steps),
        )
    return layout(np.stack(xs)), layout(np.stack(ys))


def train_seeds(
    process: EchoProcess, settings: TrainSettings, seeds: Sequence[int], progress: Progress | None = None
) -> tuple[TrainResult, ...]:
    """Train one model per seed at once (side by side on a models axis, each on its own data);
    each result is what ``train`` gives for that seed."""
    settings.check(process)
    seeds = [whole(seed, "seed", 0) for seed in seeds]
    if not seeds:
        raise SettingError("seeds: give at least one")
    # Overflow and nan are expected when a run diverges; it is detected and reported as an error.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _train_seeds(process, settings, seeds, progress)


def _train_seeds(process, settings, seeds, progress) -> tuple[TrainResult, ...]:
    streams = [_seed_sequences(seed, settings.epochs) for seed in seeds]
    trainer = Trainer(settings, [stream[0] for stream in streams])
    history = []
    for epoch in range(1, settings.epochs + 1):
        x, y = _sample(process, settings, [stream[1 + epoch] for stream in streams], trainer.arrange)
        history += trainer.run_epoch(x, y, epoch, progress)
        del x, y
    x, y = _sample(process, settings, [stream[1] for stream in streams])
    losses, effects = evaluate(
        trainer.params, x, y, settings.num_steps, settings.reset_state, process.lags, settings.truncation
    )
    if not np.isfinite(losses).all():
        raise TrainingError("the held-out loss is not finite; try a smaller --learning-rate or --clip-norm 1")
    references, bound = _references(process, settings)
    results = []
    for m, seed in enumerate(seeds):
        final = float(losses[m])
        nearest = min(references, key=lambda ref: abs(ref.cross_entropy.value - final))  # first of ties
        results.append(
            TrainResult(
                process=process,
                settings=replace(settings, seed=seed),
                final_loss=final,
                nearest=nearest,
                truncation_bound=bound,
                lag_effects=tuple(
                    LagEffect(lag, process.lag_effect(lag), None if e is None else float(e[m]))
                    for lag, e in effects.items()
                ),
                history=tuple(HistoryPoint(epoch, window, float(loss[m])) for epoch, window, loss in history),
                references=references,
            )
        )
    return tuple(results)


def train(
    process: EchoProcess, settings: TrainSettings | None = None, progress: Progress | None = None
) -> TrainResult:
    """Train one RNN on the process with ``settings.seed`` and read it against the theory."""
    settings = TrainSettings() if settings is None else settings
    return train_seeds(process, settings, [settings.seed], progress)[0]


def _references(process: EchoProcess, settings: TrainSettings) -> tuple[tuple[SubsetValue, ...], SubsetValue]:
    """Every subset's exact reference value, and the truncation bound's (lags <= T-1)."""
    window = settings.num_steps if settings.reset_state else None
    table = process.subset_table(window=window, truncation=settings.truncation)
    references = tuple(
        SubsetValue(row.learned, row.window_cross_entropy if window else row.cross_entropy)
        for row in table.rows
    )
    visible = tuple(lag for lag in process.lags if lag <= settings.num_steps - 1)
    bound = next(ref for ref in references if ref.learned == visible)
    return references, bound
