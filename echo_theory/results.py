"""Typed results of the exact engine, with tables for terminals, notebooks and scripts."""

from __future__ import annotations

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
    """H(Y | X_S) and I(Y; X_S) for one learned subset S."""

    learned: tuple[int, ...]
    cross_entropy: ExactValue
    information: ExactValue

    def to_dict(self) -> dict:
        """One JSON row: floats are null while symbols remain."""
        return {
            "learned": list(self.learned),
            "cross_entropy": self.cross_entropy.value,
            "exact": self.cross_entropy.text,
            "information": self.information.value,
        }


@dataclass(frozen=True)
class SubsetTable:
    """One row per learned subset, in the order asked for."""

    process: EchoProcess
    units: str
    rows: tuple[SubsetEntropy, ...]

    def row(self, learned) -> SubsetEntropy:
        """The row whose learned set is ``learned`` (lags in any order)."""
        wanted = tuple(sorted(learned))
        for row in self.rows:
            if row.learned == wanted:
                return row
        raise KeyError(wanted)

    def to_dict(self) -> dict:
        """The JSON shape of ``echo-theory compute --format json``."""
        return {
            "process": self.process.to_dict(),
            "units": self.units,
            "rows": [row.to_dict() for row in self.rows],
        }

    def to_frame(self) -> pandas.DataFrame:
        """A DataFrame: learned (tuple of lags), cross_entropy, exact, information."""
        import pandas

        frame = pandas.DataFrame(
            {
                "learned": [row.learned for row in self.rows],
                "cross_entropy": [row.cross_entropy.value for row in self.rows],
                "exact": [row.cross_entropy.text for row in self.rows],
                "information": [row.information.value for row in self.rows],
            }
        )
        frame.attrs["units"] = self.units
        frame.attrs["process"] = self.process.describe()
        return frame

    _HEADERS = ("learned", "cross entropy", "information", "exact")
    _RIGHT = (False, True, True, False)

    def _headers(self) -> list[str]:
        return [f"{h} ({self.units})" if h in ("cross entropy", "information") else h for h in self._HEADERS]

    def _cells(self, learned, number, exact) -> list[list[str]]:
        """One list of cells per row, each column written by the given function."""
        return [
            [
                learned(r.learned),
                number(r.cross_entropy.value),
                number(r.information.value),
                exact(r.cross_entropy),
            ]
            for r in self.rows
        ]

    def to_text(self) -> str:
        rows = self._cells(format_lags, render.fixed, lambda v: v.text)
        return self.process.describe() + "\n\n" + render.text_table(self._headers(), rows, self._RIGHT)

    def to_markdown(self) -> str:
        rows = self._cells(render.set_markdown, render.fixed, lambda v: f"${v.latex}$")
        return f"`{self.process.describe()}`\n\n" + render.markdown_table(self._headers(), rows, self._RIGHT)

    def to_latex(self) -> str:
        rows = self._cells(_set_latex, render.fixed, lambda v: f"${v.latex}$")
        return render.latex_tabular(self._headers(), rows, self._RIGHT)

    def to_csv(self) -> str:
        rows = self._cells(format_lags, render.full, lambda v: v.text)
        return render.csv_table(["learned", "cross_entropy", "information", "exact"], rows)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _set_latex(lags: tuple[int, ...]) -> str:
    return r"$\{" + ", ".join(map(str, lags)) + r"\}$" if lags else r"$\varnothing$"
