"""Training a learner (the RNN, a GRU or an LSTM: ``learners/``) with truncated backprop, as the
post did, and reading the result against the exact theory.

Each epoch draws a fresh series of N steps, cuts it into B contiguous rows (one per batch
entry) and walks them in windows of T steps. Each window is one update: forward from the
state, backward with the gradient cut at the window's first step, then the optimizer. The
state is carried from window to window within an epoch (zero at its start), or zeroed at
every window with ``reset_state``. The reported loss is the cross entropy on a fresh held-out
series, under the same state protocol, not the training average.

The readout is ``diagnosis.score`` on the held-out series and the model's predictions there
(``evaluation.predict``): the loss with its standard error, each rule lag's measured effect
and the fraction of the exact one, the subset whose optimal predictor the model is closest to,
and the verdict. With a reset state the references are the exact window optima,
(1/T) sum_k H(Y | X_{S, lags <= k}), and score reads the predictions window by window; with a
carried state the state can hold older inputs, so the plain H(Y | X_S) is the reference and
the truncation "bound" is none. ``nearest`` (the level nearest to the loss by value) stays in
the JSON for scripts; it is not what the model learned.

The held-out series is the B batch rows laid end to end, the state zero at each row's start,
so with a carried state the first L steps of a row cannot see lag L: they dilute its measured
effect by about B L / N (0.16% for lag 8 at the defaults), well inside the verdict's 5% tolerance.
With true truncation (``truncation="true"``, BPTT(T, 1)) and a reset state every prediction
sees exactly the lags <= T-1: the references are H(Y | X_{S, lags <= T-1}) and score reads the
predictions as any model's. The loop itself is ``learners.loop.Trainer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction

import numpy as np

from . import render
from .diagnosis import Score, Scorer
from .diagnosis.result import _stderr
from .effects import RuleEffect, rule_effects_text
from .errors import LimitError, SettingError
from .estimate import BATCH_FACTOR, MIN_BATCHES, minimum_length
from .evaluation import arrange, evaluate, predict
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
    (None when no held-out target reaches back that far under the state protocol), with its
    standard error and the fraction of the exact effect (see ``diagnosis``)."""

    lag: int
    exact: Fraction
    measured: float | None
    stderr: float | None = None
    fraction: float | None = None


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
    score: Score | None = field(default=None, repr=False)  # the readout: diagnosis.score's result
    # the held-out series and the model's P(y=1) on it, (x, y, p), for --save-predictions
    held_out: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def rule_effects(self) -> tuple[RuleEffect, ...]:
        """Each interaction rule's measured effect, from the readout (empty for additive rules)."""
        return () if self.score is None else self.score.rule_effects

    @property
    def note(self) -> str | None:
        """A hint when the loss, though finite, is worse than predicting the base rate."""
        if self.score is None or self.score.verdict.kind != "worse_than_nothing":
            return None
        return (
            f"the run likely diverged: try a smaller --learning-rate than {self.settings.learning_rate:g}, "
            "or --clip-norm 1"
        )

    def __str__(self) -> str:
        return self.to_text().rstrip("\n")

    def __repr__(self) -> str:
        return (
            f"<TrainResult: held-out loss {self.final_loss:.4f}, nearest subset "
            f"{format_lags(self.nearest.learned)}; print() shows the readout>"
        )

    def _repr_markdown_(self) -> str:
        """The readout as ``str`` gives it, in a code block (its columns stay aligned)."""
        return "```text\n" + self.to_text().rstrip("\n") + "\n```\n"

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
                {
                    "lag": e.lag,
                    "exact": float(e.exact),
                    "measured": e.measured,
                    "stderr": e.stderr,
                    "fraction": e.fraction,
                }
                for e in self.lag_effects
            ],
            "rule_effects": [e.to_dict() for e in self.rule_effects],
            "history": [asdict(point) for point in self.history],
            **self._score_dict(),
        }

    def _score_dict(self) -> dict:
        """score's fields beside the training's own (its loss is final_loss)."""
        if self.score is None:
            return {}
        data = self.score.to_dict()
        extra = {
            key: data[key] for key in ("samples", "stderr", "levels", "best_match", "information_fraction")
        }
        extra["verdict"] = data["verdict"]
        if self.note:
            extra["note"] = self.note
        return extra

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
        score = self.score
        spread = "" if score is None or score.stderr is None else f"± {score.stderr:.4f} (standard error)"
        rows = [["held-out loss", "", _loss(self.final_loss), spread]]
        if score is not None:
            match = score.best_match
            rows += [
                [
                    "best match",
                    format_lags(match.learned),
                    render.fixed(match.divergence, 4),
                    f"mean KL divergence from the optimal predictor of S ({reference})",
                ],
                ["information", "", f"{100 * score.information_fraction:.1f}%", "of I(Y; X_all) captured"],
            ]
        rows += [
            [
                "truncation bound",
                format_lags(self.truncation_bound.learned),
                render.fixed(self.truncation_bound.cross_entropy.value, 4),
                f"lags <= {s.num_steps - 1}; {bound}",
            ],
        ]
        if score is not None:
            lines.append(f"verdict: {score.verdict.kind}. {score.verdict.text}")
            if self.note:
                lines.append(f"note: {self.note}")
            lines.append("")
        lines.append(render.text_table(["", "learned", "nats", "note"], rows, [False, False, True, False]))
        used = {e.lag: e.used for e in score.lag_effects} if score is not None else {}
        effects = [
            [
                str(e.lag),
                f"{float(e.exact):+.4f}",
                "none" if e.measured is None else f"{e.measured:+.4f}",
                _stderr(e.stderr, 4),
                "" if e.fraction is None else f"{100 * e.fraction:.1f}%",
                used.get(e.lag) or "-",
            ]
            for e in self.lag_effects
        ]
        lines.append("effect of x[t-lag] = 1 on P(y=1), on average")
        lines.append(
            render.text_table(
                ["lag", "exact", "measured", "stderr", "fraction", "used"], effects, [True] * 5 + [False]
            )
        )
        if self.rule_effects:
            lines.append(rule_effects_text(self.rule_effects))
        return "\n".join(lines)


_CELL_LABELS = {"rnn": "RNN", "gru": "GRU", "lstm": "LSTM"}


def _loss(value: float) -> str:
    """Four decimals; a diverging but still finite loss in scientific notation."""
    return render.fixed(value, 4) if abs(value) < 1e6 else f"{value:.4g}"


class _Streams(Sequence):
    """Child i of SeedSequence(seed), made when asked for: what ``spawn`` gives at index i, with
    no list of every epoch's stream made up front (10^8 epochs would be gigabytes)."""

    def __init__(self, seed: int, count: int) -> None:
        self.seed, self.count = seed, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> np.random.SeedSequence:
        if not 0 <= index < self.count:
            raise IndexError(index)
        return np.random.SeedSequence(self.seed, spawn_key=(index,))


def _seed_sequences(seed: int, epochs: int) -> Sequence[np.random.SeedSequence]:
    """Independent streams from one seed: the initial weights, the held-out series, then one
    series per epoch. Each is spawned by index, so it does not depend on the number of epochs."""
    return _Streams(seed, 2 + epochs)


def _sample(
    process: EchoProcess,
    settings: TrainSettings,
    streams: Sequence[np.random.SeedSequence],
    layout=None,
    keep: bool = False,
):
    """The arranged windows (W, T, M, B) of x and y, one series per model (or the layout
    ``layout(series)`` gives, the trainer's); with ``keep`` also the series themselves, (M, N)."""
    xs, ys = zip(*(sample_series(process, settings.series_length, stream) for stream in streams), strict=True)
    xs, ys = np.stack(xs), np.stack(ys)
    if layout is None:
        layout = lambda series: arrange(series, settings.batch_size, settings.num_steps)  # noqa: E731
    arranged = layout(xs), layout(ys)
    return (*arranged, xs, ys) if keep else arranged


def train_seeds(
    process: EchoProcess, settings: TrainSettings, seeds: Sequence[int], progress: Progress | None = None
) -> tuple[TrainResult, ...]:
    """Train one model per seed at once (side by side on a models axis, each on its own data);
    each result is what ``train`` gives for that seed."""
    settings.check(process)
    seeds = [whole(seed, "seed", 0) for seed in seeds]
    if not seeds:
        raise SettingError("seeds: give at least one")
    settings.check_memory(process, len(seeds))
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
    x, y, xs, ys = _sample(process, settings, [stream[1] for stream in streams], keep=True)
    length = settings.series_length
    p = predict(trainer.params, x, y, settings.num_steps, settings.reset_state, length, settings.truncation)
    del x, y
    references, bound = _references(process, settings)
    # TF-style windows from a reset state see lags <= k at position k: score reads them window
    # by window. True truncation from a reset state sees lags <= T-1 at every step, and carried
    # states any lag: score reads those as any model's predictions.
    window = settings.num_steps if settings.reset_state and settings.truncation == "tf" else None
    try:
        scorer = Scorer(process, window)
    except LimitError:  # too many rule lags for score's readout: the loss and lag effects alone
        return _unscored(process, settings, seeds, trainer, history, references, bound, xs, ys, p)
    top = max(process.lags, default=0)
    # a short series gets fewer batches than score's 16 (the standard error is then rougher)
    batches = None
    if length < minimum_length(top):
        batches = max(1, min(MIN_BATCHES, (length - top) // (BATCH_FACTOR * (top + 1))))
    results = []
    for m, seed in enumerate(seeds):
        score = scorer.score(xs[m], ys[m], p[m], batches=batches)
        final = score.loss
        nearest = min(references, key=lambda ref: abs(ref.cross_entropy.value - final))  # first of ties
        results.append(
            TrainResult(
                process=process,
                settings=replace(settings, seed=seed),
                final_loss=final,
                nearest=nearest,
                truncation_bound=bound,
                lag_effects=tuple(
                    LagEffect(e.lag, process.lag_effect(e.lag), e.measured, e.stderr, e.fraction)
                    for e in score.lag_effects
                ),
                history=tuple(HistoryPoint(epoch, window, float(loss[m])) for epoch, window, loss in history),
                references=references,
                score=score,
                held_out=(xs[m], ys[m], p[m]),
            )
        )
    return tuple(results)


def _unscored(process, settings, seeds, trainer, history, references, bound, xs, ys, p):
    """The readout past score's limit on rule lags: evaluate's held-out loss and its lag effects
    (each lag's input flipped and the model rerun), with no verdict or best match."""
    x, y = (arrange(a, settings.batch_size, settings.num_steps) for a in (xs, ys))
    losses, effects = evaluate(
        trainer.params, x, y, settings.num_steps, settings.reset_state, process.lags, settings.truncation
    )
    results = []
    for m, seed in enumerate(seeds):
        final = float(losses[m])
        results.append(
            TrainResult(
                process=process,
                settings=replace(settings, seed=seed),
                final_loss=final,
                nearest=min(references, key=lambda ref: abs(ref.cross_entropy.value - final)),
                truncation_bound=bound,
                lag_effects=tuple(
                    LagEffect(lag, process.lag_effect(lag), None if e is None else float(e[m]))
                    for lag, e in effects.items()
                ),
                history=tuple(HistoryPoint(epoch, window, float(loss[m])) for epoch, window, loss in history),
                references=references,
                held_out=(xs[m], ys[m], p[m]),
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
    """Every subset's exact reference value, and the truncation bound's (lags <= T-1). When
    every subset is past the work budget (many rules), the references are the nested chain of
    lags, each lag alone and all but one, and the bound's subset: 3n + 2 rows at most."""
    window = settings.num_steps if settings.reset_state else None
    visible = tuple(lag for lag in process.lags if lag <= settings.num_steps - 1)
    try:
        table = process.subset_table(window=window, truncation=settings.truncation)
    except LimitError:
        chosen = ["chain", "singles", "complements", visible]
        table = process.subset_table(chosen, window=window, truncation=settings.truncation)
    references = tuple(
        SubsetValue(row.learned, row.window_cross_entropy if window else row.cross_entropy)
        for row in table.rows
    )
    bound = next(ref for ref in references if ref.learned == visible)
    return references, bound
