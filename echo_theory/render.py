"""Plain tables in the output formats: aligned text, Markdown, LaTeX and CSV.

Result objects decide what goes in each cell; this module only lays the cells out.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

Rows = Sequence[Sequence[str]]


def text_table(headers: Sequence[str], rows: Rows, right: Sequence[bool]) -> str:
    """Columns padded to their widest cell; numbers (``right``) aligned on the right."""
    widths = [max([len(h)] + [len(row[i]) for row in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule] + [line(row) for row in rows]) + "\n"


def markdown_table(headers: Sequence[str], rows: Rows, right: Sequence[bool]) -> str:
    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |"

    align = "|" + "|".join("---:" if r else ":---" for r in right) + "|"
    return "\n".join([line(headers), align] + [line(row) for row in rows]) + "\n"


def markdown_text(text: str) -> str:
    """Text that Markdown shows as it is: every ASCII punctuation mark backslash-escaped (as
    CommonMark allows), and control characters such as a newline written as ``\\x0a``.

    >>> markdown_text("a_b*[c](d).csv")
    'a\\\\_b\\\\*\\\\[c\\\\]\\\\(d\\\\)\\\\.csv'
    """
    out = []
    for char in text:
        if char.isascii() and not char.isalnum() and char.isprintable() and char != " ":
            out.append("\\" + char)
        elif not char.isprintable():
            out.append(f"\\x{ord(char):02x}" if ord(char) < 256 else f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return "".join(out)


def latex_tabular(headers: Sequence[str], rows: Rows, right: Sequence[bool], wrap_last: bool = False) -> str:
    """A ``tabular`` that compiles with no packages; cells are already LaTeX. ``wrap_last``: a
    ``tabularx`` (``\\usepackage{tabularx}``) as wide as the line, whose last column takes the
    width left and breaks its text (a long exact form) over lines."""
    spec = "".join("r" if r else "l" for r in right)
    body = [" & ".join(headers) + r" \\", r"\hline"]
    body += [" & ".join(row) + r" \\" for row in rows]
    begin, end = "\\begin{tabular}{" + spec + "}", "\\end{tabular}"
    if wrap_last:
        begin = "\\begin{tabularx}{\\linewidth}{" + spec[:-1] + r">{\raggedright\arraybackslash}X}"
        end = "\\end{tabularx}"
    return begin + "\n\\hline\n" + "\n".join(body) + "\n\\hline\n" + end + "\n"


def csv_table(headers: Sequence[str], rows: Rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue()


def fixed(value: float | None, digits: int = 10) -> str:
    """A float for reading; ``symbolic`` where symbols remain."""
    return "symbolic" if value is None else f"{value:.{digits}f}"


def decimal(value: float | None, digits: int = 8) -> str:
    """A float with a fixed number of decimals; empty where there is none."""
    return "" if value is None else f"{value:.{digits}f}"


def full(value: float | None) -> str:
    """A float at full precision (``repr``), for CSV; empty where there is none."""
    return "" if value is None else repr(value)


def set_markdown(lags: tuple[int, ...]) -> str:
    """A set of lags for Markdown: ``{3, 8}``, or ``none``."""
    return "{" + ", ".join(map(str, lags)) + "}" if lags else "none"
