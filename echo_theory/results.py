"""Typed results of the exact engine, with tables for terminals, notebooks and scripts."""

from __future__ import annotations

import re
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
        if not self.fully_factored:
            row["fully_factored"] = False
        return row

    @property
    def fully_factored(self) -> bool:
        """False when an exact form keeps the log of an integer not split into primes."""
        values = (self.cross_entropy, self.information, self.window_cross_entropy)
        return all(v.fully_factored for v in values if v is not None)


class RowsByLearned:
    """A table whose rows each carry a ``learned`` subset: look one up by its lags. ``str`` (and
    so ``print``) gives the text table; ``repr`` stays one short line."""

    rows: tuple

    def __str__(self) -> str:
        return self.to_text().rstrip("\n")

    def __repr__(self) -> str:
        count = len(self.rows)
        return f"<{type(self).__name__}: {count} row{'s' * (count != 1)} in {self.units}; print() shows it>"

    def row(self, learned: Iterable[int]):
        """The row whose learned set is ``learned`` (lags in any order)."""
        wanted = tuple(sorted(learned))
        for row in self.rows:
            if row.learned == wanted:
                return row
        raise KeyError(wanted)


@dataclass(frozen=True, repr=False)
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

    @property
    def note(self) -> str:
        """A line under the table when some exact form is not fully factored, else empty."""
        if all(row.fully_factored for row in self.rows):
            return ""
        return (
            "\nnote: some log(n) above has a composite n that factoring's budget left whole; "
            "the values are exact all the same\n"
        )

    def to_text(self) -> str:
        rows = self._cells(format_lags, render.fixed, lambda v: v.text)
        table = render.text_table(self._headers(), rows, self._right())
        return self.process.describe() + "\n\n" + table + self.note

    def to_markdown(self) -> str:
        rows = self._cells(render.set_markdown, render.fixed, lambda v: f"${v.latex}$")
        table = render.markdown_table(self._headers(), rows, self._right())
        return f"`{self.process.describe()}`\n\n" + table + self.note

    def to_latex(self) -> str:
        """A ``tabularx`` (``\\usepackage{tabularx}``), the exact forms breaking over lines."""
        rows = self._cells(_set_latex, render.fixed, lambda v: f"${v.latex}$")
        # the units under each number's heading, so the numbers leave the exact forms room
        headers = [re.sub(r"^(.*) (\(\w+\))$", r"\\shortstack[r]{\1\\\\ \2}", h) for h in self._headers()]
        # \noindent: a table as wide as the line does not fit after a paragraph's indent
        return "\\noindent\n" + render.latex_tabular(headers, rows, self._right(), wrap_last=True)

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
    return (
        r"$\{" + ", ".join(map(str, lags)) + r"\}$" if lags else r"$\emptyset$"
    )  # \varnothing would need amssymb
