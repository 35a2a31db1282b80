"""Limits by cost, not by count: every large piece of work is estimated before it starts.

An estimate is in *steps*, about a microsecond of the engine's inner loops each on the
machines here (a table cell summed out, a distinct sum convolved, an integer counted for
factoring). Past the budget a request is refused in one line that gives the estimate and the
option that raises the budget, so nothing runs for an hour without saying so.

>>> with work_budget(10**9):
...     current_budget()
1000000000
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from .errors import LimitError

# About 100 s of work here (every subset of 12 rules in hundredths is about 1e6 steps).
DEFAULT_BUDGET = 10**8

_BUDGET: ContextVar[int] = ContextVar("echo_theory_budget", default=DEFAULT_BUDGET)


def current_budget() -> int:
    """The budget in force: ``DEFAULT_BUDGET`` unless a ``work_budget`` block raised it."""
    return _BUDGET.get()


@contextmanager
def work_budget(steps: int | float) -> Iterator[int]:
    """Allow work up to ``steps`` inside the block (the CLI's ``--budget``)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, float)) or not steps >= 1:
        raise LimitError(f"budget: {steps!r} is not a number of steps >= 1")
    token = _BUDGET.set(int(steps))
    try:
        yield int(steps)
    finally:
        _BUDGET.reset(token)


def check_cost(steps: int, what: str) -> None:
    """Refuse ``what`` when its estimate passes the budget, naming both and the way on."""
    budget = current_budget()
    if steps > budget:
        raise LimitError(
            f"{what} is about {_count(steps)} steps, past the budget of {_count(budget)} "
            f"({_seconds(budget)}); raise it with --budget {_round_up(steps)} "
            f"({_seconds(steps)}), or choose fewer subsets with --learned"
        )


def check_cells(cells: int, what: str, fewer: str = "or choose fewer subsets with --learned") -> None:
    """Refuse counts kept in memory (int64 cells, as the validator keeps them) past the budget:
    one cell is charged as one step, so the default budget holds 1e8 cells, 800 MB. ``fewer``
    ends the message with the other way on (empty: none)."""
    budget = current_budget()
    if cells > budget:
        raise LimitError(
            f"{what} need about {_count(cells)} counts ({_bytes(8 * cells)}), past the budget of "
            f"{_count(budget)} ({_bytes(8 * budget)}); raise it with --budget {_round_up(cells)}"
            + (f", {fewer}" if fewer else "")
        )


def _bytes(size: int) -> str:
    if size >= 1e9:
        return f"{size / 1e9:.1f} GB"
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"


def _count(steps: int) -> str:
    return f"{steps:.1e}".replace("e+0", "e").replace("e+", "e")


def _round_up(steps: int) -> str:
    """A budget just above ``steps``, short enough to type: 2e9, 3.5e12."""
    mantissa, exponent = f"{steps:.1e}".split("e")
    value = float(mantissa) + 0.1
    return f"{value:g}e{int(exponent)}"


def _seconds(steps: int) -> str:
    """Roughly how long ``steps`` take here: ``about 2 min``."""
    seconds = steps / 1e6
    if seconds < 1:
        return "under a second"
    if seconds < 120:
        return f"about {seconds:.0f} s"
    if seconds < 7200:
        return f"about {seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"about {seconds / 3600:.0f} h"
    return f"about {seconds / 86400:.0f} days"
