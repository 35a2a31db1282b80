"""Typed results of the exact engine, with tables for terminals, notebooks and scripts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import render
from .rules import format_lags
from .value import ExactValue

if TYPE_CHECKING:
    import pandas

    from .process import EchoProcess


@dataclass(frozen=True)
class SubsetEntropy:
    """H(Y | X_S) and I(Y; X_S) for one learned subset S; with a window T, also the best mean
    loss over a window of T steps from a reset state (``window_cross_entropy``)."""

    learned: tuple[int, ...]
    cross_entropy: ExactValue
    information: ExactValue
    window_cross_entropy: ExactValue | None = None

    def to_dict(self) -> dict:
        """One JSON row: floats are null while symbols remain."""
        row = {
            "learned": list(self.learned),
            "cross_entropy": self.cross_entropy.value,
            "exact": self.cross_entropy.text,
            "information": self.information.value,
        }
        if self.window_cross_entropy is not None:
            row["window_cross_entropy"] = self.window_cross_entropy.value
            row["window_exact"] = self.window_cross_entropy.text
        return row


class RowsByLearned:
    """A table whose rows each carry a ``learned`` subset: look one up by its lags."""

    rows: tuple

    def row(self, learned: Iterable[int]):
        """The row whose learned set is ``learned`` (lags in any order)."""
        wanted = tuple(sorted(learned))
        for row in self.rows:
            if row.learned == wanted:
                return row
        raise KeyError(wanted)


@dataclass(frozen=True)
class SubsetTable(RowsByLearned):
    """One row per learned subset, in the order asked for; ``window`` is T when the rows hold
    window optima, else None."""

    process: EchoProcess
    units: str
    rows: tuple[SubsetEntropy, ...]
    window: int | None = None
    truncation: str = "tf"  # "true": the window column is H(Y | X_{S, lags <= T-1})

    def to_dict(self) -> dict:
        """The JSON shape of ``echo-theory compute --format json``."""
        data = {"process": self.process.to_dict(), "units": self.units}
        if self.window is not None:
            data["window"] = self.window
        if self.truncation != "tf":
            data["truncation"] = self.truncation
        data["rows"] = [row.to_dict() for row in self.rows]
        return data

    def to_frame(self) -> pandas.DataFrame:
        """A DataFrame: learned (tuple of lags), cross_entropy, exact, information; with a window,
        also window_cross_entropy and window_exact."""
        import pandas

        columns = {
            "learned": [row.learned for row in self.rows],
            "cross_entropy": [row.cross_entropy.value for row in self.rows],
            "exact": [row.cross_entropy.text for row in self.rows],
            "information": [row.information.value for row in self.rows],
        }
        if self.window is not None:
            columns["window_cross_entropy"] = [row.window_cross_entropy.value for row in self.rows]
            columns["window_exact"] = [row.window_cross_entropy.text for row in self.rows]
        frame = pandas.DataFrame(columns)
        frame.attrs["units"] = self.units
        if self.window is not None:
            frame.attrs["window"] = self.window
        frame.attrs["process"] = self.process.describe()
        return frame

    def _headers(self) -> list[str]:
        headers = ["learned", f"cross entropy ({self.units})", f"information ({self.units})"]
        if self.window is not None:
            style = ", true" if self.truncation != "tf" else ""
            headers.append(f"window T={self.window}{style} ({self.units})")
        return [*headers, "exact"]

    def _right(self) -> list[bool]:
        return [False, True, True] + [True] * (self.window is not None) + [False]

    def _cells(self, learned, number, exact) -> list[list[str]]:
        """One list of cells per row, each column written by the given function."""
        rows = []
        for r in self.rows:
            cells = [learned(r.learned), number(r.cross_entropy.value), number(r.information.value)]
            if self.window is not None:
                cells.append(number(r.window_cross_entropy.value))
            rows.append([*cells, exact(r.cross_entropy)])
        return rows

    def to_text(self) -> str:
        rows = self._cells(format_lags, render.fixed, lambda v: v.text)
        return self.process.describe() + "\n\n" + render.text_table(self._headers(), rows, self._right())

    def to_markdown(self) -> str:
        rows = self._cells(render.set_markdown, render.fixed, lambda v: f"${v.latex}$")
        table = render.markdown_table(self._headers(), rows, self._right())
        return f"`{self.process.describe()}`\n\n" + table

    def to_latex(self) -> str:
        rows = self._cells(_set_latex, render.fixed, lambda v: f"${v.latex}$")
        return render.latex_tabular(self._headers(), rows, self._right())

    def to_csv(self) -> str:
        rows = self._cells(format_lags, render.full, lambda v: v.text)
        headers = ["learned", "cross_entropy", "information", "exact"]
        if self.window is not None:  # machine-readable: the window optimum's exact form too
            headers = [*headers[:3], "window_cross_entropy", "exact", "window_exact"]
            rows = [[*row, r.window_cross_entropy.text] for row, r in zip(rows, self.rows, strict=True)]
        return render.csv_table(headers, rows)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _set_latex(lags: tuple[int, ...]) -> str:
    return r"$\{" + ", ".join(map(str, lags)) + r"\}$" if lags else r"$\varnothing$"
