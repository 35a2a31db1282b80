"""How to train the RNN: the settings of ``echo-theory train`` and ``training.train``, checked.

Kept apart from the training code, and free of NumPy, so that the command line can read the
defaults and check the options without paying for NumPy's import on every command.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass

from .errors import LimitError, ProcessError, SettingError
from .process import EchoProcess

OPTIMIZERS = ("adagrad", "sgd", "adam")
CELLS = ("rnn", "gru", "lstm")
TRUNCATIONS = ("tf", "true")  # BPTT(T, T) in windows, as TensorFlow's graphs did; BPTT(T, 1)
MAX_STATE_SIZE = 1024  # W_hh alone is H^2 floats per model, and each step costs H^2 B
MAX_SERIES_LENGTH = 100_000_000  # the series is held in memory, as float64 windows


def whole(value: object, name: str, minimum: int) -> int:
    """An integer >= minimum (NumPy integers too), or an error that names the setting."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise SettingError(f"{name}: {value!r} is not an integer >= {minimum}")
    return int(value)


def _positive(value: object, name: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise SettingError(f"{name}: {value!r} is not a number > 0")
    return float(value)


@dataclass(frozen=True)
class TrainSettings:
    """How to train; the defaults are the post's settings (one epoch of 1,000,000 steps in 200
    rows, windows of 5, a state of 4, Adagrad with learning rate 0.1, the state carried)."""

    num_steps: int = 5
    state_size: int = 4
    batch_size: int = 200
    epochs: int = 1
    series_length: int = 1_000_000
    learning_rate: float = 0.1
    optimizer: str = "adagrad"
    reset_state: bool = False
    clip_norm: float | None = None
    seed: int = 0
    cell: str = "rnn"
    truncation: str = "tf"

    def __post_init__(self) -> None:
        object.__setattr__(self, "num_steps", whole(self.num_steps, "--num-steps", 1))
        object.__setattr__(self, "state_size", whole(self.state_size, "--state-size", 1))
        object.__setattr__(self, "batch_size", whole(self.batch_size, "--batch-size", 1))
        object.__setattr__(self, "epochs", whole(self.epochs, "--epochs", 1))
        object.__setattr__(self, "series_length", whole(self.series_length, "--series-length", 1))
        object.__setattr__(self, "learning_rate", _positive(self.learning_rate, "--learning-rate"))
        if self.clip_norm is not None:
            object.__setattr__(self, "clip_norm", _positive(self.clip_norm, "--clip-norm"))
        object.__setattr__(self, "seed", whole(self.seed, "--seed", 0))
        if self.optimizer not in OPTIMIZERS:
            raise SettingError(f"--optimizer: {self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        object.__setattr__(self, "reset_state", bool(self.reset_state))
        if self.cell not in CELLS:
            raise SettingError(f"--cell: {self.cell!r} is not one of {', '.join(CELLS)}")
        if self.truncation not in TRUNCATIONS:
            raise SettingError(f"--truncation: {self.truncation!r} is not one of {', '.join(TRUNCATIONS)}")
        if self.state_size > MAX_STATE_SIZE:
            raise LimitError(f"--state-size {self.state_size} is above the limit of {MAX_STATE_SIZE}")
        if self.series_length > MAX_SERIES_LENGTH:
            raise LimitError(
                f"--series-length {self.series_length} is above the limit of {MAX_SERIES_LENGTH:,} steps"
            )
        row = self.series_length // self.batch_size
        if row < self.num_steps:
            raise SettingError(
                f"--series-length {self.series_length} in {self.batch_size} rows gives {row} steps per row, "
                f"fewer than one window of --num-steps {self.num_steps}"
            )
        if self.truncation == "true" and row < 2 * self.num_steps - 1:
            # a block's T losses each reach T steps back: 2T - 1 steps of a row
            raise SettingError(
                f"--truncation true: --series-length {self.series_length} in {self.batch_size} rows gives "
                f"{row} steps per row, fewer than the {2 * self.num_steps - 1} (2T - 1) that one block of "
                f"--num-steps {self.num_steps} needs"
            )

    @property
    def row_length(self) -> int:
        """Steps per row of the batch: N // B."""
        return self.series_length // self.batch_size

    @property
    def windows(self) -> int:
        """Windows (updates) per epoch: with true truncation, blocks of T losses each, after
        the first T - 1 steps of a row (which only give the first losses their T steps back)."""
        if self.truncation == "true":
            return (self.row_length - (self.num_steps - 1)) // self.num_steps
        return self.row_length // self.num_steps

    def check(self, process: EchoProcess) -> None:
        """Errors for a process these settings cannot train on."""
        if process.is_symbolic:
            names = ", ".join(sorted(symbol.name for symbol in process.symbols))
            raise ProcessError(
                f"training samples the process, so its shifts must be numbers (symbols: {names})"
            )
        longest = max(process.lags, default=0)
        if longest >= self.row_length:
            raise SettingError(
                f"rule lag {longest} is not shorter than a row of the series ({self.row_length} steps: "
                f"--series-length {self.series_length} in {self.batch_size} rows)"
            )

    def to_dict(self) -> dict:
        return asdict(self)
