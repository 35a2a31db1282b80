"""One exception root, so callers (and the CLI) can catch every bad-input case at once."""

from __future__ import annotations


class EchoTheoryError(ValueError):
    """Root of every error echo-theory raises on purpose; its message is one line for the user."""


class ParseError(EchoTheoryError):
    """Text that does not follow the grammar of a rule, number, lag list or symbol."""


class ProcessError(EchoTheoryError):
    """A process that cannot exist: a duplicate lag, a probability outside [0, 1], ..."""


class LimitError(EchoTheoryError):
    """A request beyond what the engine can do in reasonable time or memory."""


class SettingError(EchoTheoryError):
    """A setting outside its range: a window shorter than one step, a learning rate <= 0, ..."""


class TrainingError(EchoTheoryError):
    """A training run that cannot go on: its loss or parameters stopped being finite numbers."""


class DependencyError(EchoTheoryError):
    """An optional extra (such as matplotlib for plots) that is not installed."""
