"""Binary series (x, y) from files, for estimates on anyone's data.

The formats, chosen by the file's extension:

- ``.csv``: comma-separated, a header row naming the columns, two of them ``x`` and ``y``
  (other columns are ignored); one step per row, each value 0 or 1.
- ``.npy``: an integer or boolean array of shape (n, 2), columns x then y; or a structured
  array of shape (n,) with fields ``x`` and ``y``.
- ``.npz``: arrays named ``x`` and ``y``, one-dimensional, of equal length.

Pickled objects are never loaded. Every problem is one ``EchoTheoryError`` line naming the file.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .errors import EchoTheoryError
from .estimate import binary_series

FORMATS = (".csv", ".npy", ".npz")


def load_series(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """x and y from a .csv, .npy or .npz file, as checked uint8 arrays of 0 and 1."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise EchoTheoryError(
            f"{path.name}: unknown format {suffix or '(no extension)'!r}; give a .csv, .npy or .npz file"
        )
    try:
        if suffix == ".csv":
            x, y = _read_csv(path)
        elif suffix == ".npy":
            x, y = _read_npy(path)
        else:
            x, y = _read_npz(path)
        return binary_series(x, y)
    except EchoTheoryError as error:
        raise EchoTheoryError(f"{path.name}: {error}") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise EchoTheoryError(f"{path.name}: cannot read it as {suffix}: {reason}") from None


def _read_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    import pandas

    try:
        frame = pandas.read_csv(path, skipinitialspace=True)
    except pandas.errors.EmptyDataError:
        raise EchoTheoryError("the file is empty; expected a header row naming columns x and y") from None
    except (pandas.errors.ParserError, UnicodeDecodeError) as error:
        raise EchoTheoryError(f"malformed CSV: {' '.join(str(error).split())}") from None
    columns = [str(c).strip() for c in frame.columns]
    missing = [name for name in ("x", "y") if name not in columns]
    if missing:
        raise EchoTheoryError(
            f"no column {' or '.join(missing)} in the header line (columns: {', '.join(columns)})"
        )
    frame.columns = columns
    values = []
    for name in ("x", "y"):
        column = frame[name].to_numpy()
        if column.dtype.kind in "biuf":
            ones, zeros = column == 1, column == 0
        else:  # text: only the digits 0 and 1
            text = np.array([str(v).strip() for v in column])
            ones, zeros = text == "1", text == "0"
        bad = np.flatnonzero(~(ones | zeros))
        if bad.size:
            value = column[bad[0]]
            shown = "empty" if pandas.isna(value) else repr(str(value).strip())
            raise EchoTheoryError(
                f"row {bad[0] + 1} after the header: {name} is {shown}; values must be 0 or 1"
            )
        values.append(ones)
    return values[0], values[1]


def _read_npy(path: Path) -> tuple[np.ndarray, np.ndarray]:
    array = np.load(path, allow_pickle=False)
    if array.dtype.names is not None:
        missing = [name for name in ("x", "y") if name not in array.dtype.names]
        if missing:
            raise EchoTheoryError(
                f"the structured array has no field {' or '.join(missing)} "
                f"(fields: {', '.join(array.dtype.names)})"
            )
        if array.ndim != 1:
            raise EchoTheoryError(f"the structured array has shape {array.shape}; expected (n,)")
        return array["x"], array["y"]
    if array.ndim != 2 or array.shape[1] != 2:
        raise EchoTheoryError(f"the array has shape {array.shape}; expected (n, 2) with columns x and y")
    return array[:, 0], array[:, 1]


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        missing = [name for name in ("x", "y") if name not in archive.files]
        if missing:
            shown = ", ".join(archive.files) or "none"
            raise EchoTheoryError(f"no array named {' or '.join(missing)} (arrays: {shown})")
        return archive["x"], archive["y"]
