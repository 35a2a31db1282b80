"""How to train the RNN: the settings of ``echo-theory train`` and ``training.train``, checked.

Kept apart from the training code, and free of NumPy, so that the command line can read the
defaults and check the options without paying for NumPy's import on every command.
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import asdict, dataclass

from .errors import LimitError, ProcessError, SettingError
from .process import EchoProcess

OPTIMIZERS = ("adagrad", "sgd", "adam")
CELLS = ("rnn", "gru", "lstm")
TRUNCATIONS = ("tf", "true")  # BPTT(T, T) in windows, as TensorFlow's graphs did; BPTT(T, 1)
MAX_STATE_SIZE = 1024  # W_hh alone is H^2 floats per model, and each step costs H^2 B
MAX_SERIES_LENGTH = 100_000_000  # the series is held in memory, as float64 windows
# The memory a run may plan for; None: half of this machine's memory (8 GiB where unknown).
MAX_MEMORY: int | None = None
# A cell's per-step state relative to the tanh RNN's H floats: a GRU keeps about 3 H (its
# gates), an LSTM about 4 H (gates and the cell). Read from ``settings.cell`` when there is
# one (the RNN otherwise); a cell not listed counts as 1.
CELL_STATE_FACTOR: dict[str, int] = {"rnn": 1, "gru": 3, "lstm": 4}
# Copies of the training loop's and the evaluation's constants (NumPy-free here; a test keeps
# them equal): windows per history point, steps per held-out block, targets per effect chunk.
_HISTORY_EVERY, _BLOCK_STEPS, _CHUNK_TARGETS = 100, 256, 64
_STEP_OBJECTS = 400  # bytes of Python objects per unrolled step (a cache tuple of two views)
_HISTORY_POINT = 200  # bytes per model per history point (a dataclass and its floats)


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
        self.check_memory(process)

    def memory(self, process: EchoProcess, models: int = 1) -> dict[str, int]:
        """Bytes a run of ``models`` models needs, by part, from the shapes the loop allocates:
        the series (uint8 x and y as drawn, stacked and cut into windows), the training window
        (states, inputs as floats, gradients), the held-out pass (a block of windows, every step's
        prediction, the readout's temporaries) and the history of the training loss."""
        m, n, b, t = models, self.series_length, self.batch_size, self.num_steps
        h = self.state_size * CELL_STATE_FACTOR.get(getattr(self, "cell", "rnn"), 1)
        depth = max(process.lags, default=0)

        def unroll(windows: int) -> int:  # learners' Unroll: v, the gates' acts, y, z, temporaries
            return 8 * m * b * windows * ((t + 1) * (h + 2) + t * h + 4 * t) + _STEP_OBJECTS * windows * t

        training = (
            unroll(1)
            + 8 * m * b * (2 * t * h + 4 * h)  # dpre and dh_out; state, zeros, pre, dh
            + 8 * m * t * h * (h + 2)  # the window's weight gradient, step by step, before its sum
            + 8 * 4 * m * h * (h + 3)  # parameters, gradients, the optimizer's moments
        )
        block = min(self.windows, max(1, -(-max(_BLOCK_STEPS, depth) // t)))
        held_out = (
            unroll(block)
            + 8 * m * b * block * t * 2  # a block's P(y=1) and its reordered copy (evaluation.predict)
            + 8 * m * n * 2  # the predictions by batch row, then as one series per model
            + 2 * m * n  # the held-out x and y, kept for the readout and --save-predictions
            + 8 * n * 2  # diagnosis.score's per-step temporaries, one model at a time
        )
        points = self.epochs * -(-self.windows // _HISTORY_EVERY)
        return {
            "series": 8 * m * n,
            "training": training,
            "held-out": held_out,
            "history": _HISTORY_POINT * m * points,
        }

    def check_memory(self, process: EchoProcess, models: int = 1) -> None:
        """A LimitError, before any work, when the run would need more memory than the limit."""
        parts = self.memory(process, models)
        need, limit = sum(parts.values()), memory_limit()
        if need > limit:
            largest = max(parts, key=parts.get)
            raise LimitError(
                f"this run needs about {_bytes(need)} of memory ({largest}: {_bytes(parts[largest])}), "
                f"above the limit of {_bytes(limit)}; lower --series-length, --batch-size, "
                f"--num-steps or --epochs"
            )

    def to_dict(self) -> dict:
        return asdict(self)


def memory_limit() -> int:
    """MAX_MEMORY, or half of the machine's physical memory."""
    if MAX_MEMORY is not None:
        return MAX_MEMORY
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _bytes(count: int) -> str:
    """A size for reading: 812 MB, 15.2 GB, 3.1 TB (powers of 1000)."""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count / 10**6:.2g} MB"
